import re


class Parser:
    """Parses arithmetic over numbers and names."""

    class Lexer:
        def __init__(self, operators="+-*/()="):
            self.operators = operators

        def tokens(self, text):
            """Numbers, names (letters, digits, underscores; not starting with a digit) and single characters."""
            found = []
            i = 0
            while i < len(text):
                ch = text[i]
                if re.match(r"\s", ch):
                    i += 1
                elif re.match(r"[0-9]", ch):
                    token = ""
                    while i < len(text) and re.match(r"[0-9]", text[i]):
                        token += text[i]
                        i += 1
                    found.append(token)
                elif re.match(r"[A-Za-z_]", ch):
                    token = ""
                    while i < len(text) and re.match(r"[A-Za-z0-9_]", text[i]):
                        token += text[i]
                        i += 1
                    found.append(token)
                else:
                    found.append(ch)
                    i += 1
            return found

    def __init__(self):
        self.lexer = Parser.Lexer()

    def parse(self, text):
        return self.lexer.tokens(text)
