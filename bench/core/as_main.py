"""Run a program as ``__main__`` in a freshly forked interpreter, like ``python main.py`` would.

Standard library only: the zygote (``_zygote.py``) loads this file by path, before any program runs.
No ``contextlib`` (ruff's SIM105): every module imported here is one a measured program gets for free.
"""

import io
import os
import sys


def run(path: str) -> None:
    """Run the program as ``__main__`` in this freshly forked interpreter, like ``python main.py``."""
    import types

    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)),
                                                 encoding="utf-8")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
                                                   encoding="utf-8")
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                                   encoding="utf-8", errors="backslashreplace",
                                                   line_buffering=True)
    sys.argv = [path]
    sys.path[0] = os.path.dirname(path)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    exit_code = 0
    try:
        with open(path, "rb") as f:
            source = f.read()
        exec(compile(source, path, "exec", dont_inherit=True), module.__dict__)
    except SystemExit as exc:
        exit_code = _exit_code(exc.code)
    except BaseException:
        exit_code = 1
        _print_exception()
    os._exit(_interpreter_shutdown(exit_code))


def _exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:  # noqa: SIM105
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _print_exception() -> None:
    import traceback

    try:  # noqa: SIM105
        traceback.print_exc()
    except Exception:
        pass


def _interpreter_shutdown(exit_code: int) -> int:
    """What the interpreter does after ``__main__`` finishes: join threads, atexit, flush."""
    threading = sys.modules.get("threading")
    if threading is not None:
        try:  # noqa: SIM105
            threading._shutdown()
        except BaseException:
            pass
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            exit_code = exit_code or 120  # what CPython exits with when the final flush fails
    return exit_code
