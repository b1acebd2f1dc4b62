"""The one "does it parse" check for code from users, rules and models.

``syntax_problem`` compiles (not only parses): a candidate with ``return`` outside a function or a misplaced
``nonlocal`` parses into a tree yet cannot run, and every caller (the rules' rewrites, the prompt's code
extraction, verification, training's annotation) wants to know whether the code can run at all. A leading byte
order mark is allowed, as Python allows it in a file.
"""

from __future__ import annotations


def syntax_problem(code: str) -> str | None:
    """None when ``code`` compiles, else a one-line reason ("does not parse: <message> (line N)")."""
    try:
        compile(code.removeprefix("\ufeff"), "<candidate>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return f"does not parse: {exc.msg}{where}"
    except ValueError as exc:  # null bytes in the source
        return f"does not parse: {exc}"
    return None


def compiles(code: str) -> bool:
    return syntax_problem(code) is None
