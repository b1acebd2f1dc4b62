import re

_TOKEN = re.compile(r"[0-9]+|[A-Za-z_][A-Za-z0-9_]*|\S", re.ASCII)


class Parser:
    """Parses arithmetic over numbers and names."""

    class Lexer:
        def __init__(self, operators="+-*/()="):
            self.operators = operators

        def tokens(self, text):
            """Numbers, names (letters, digits, underscores; not starting with a digit) and single characters."""
            return _TOKEN.findall(text)

    def __init__(self):
        self.lexer = Parser.Lexer()

    def parse(self, text):
        return self.lexer.tokens(text)
