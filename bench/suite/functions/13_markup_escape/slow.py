from .entities import ENTITIES


class Markup:
    def __init__(self, text):
        self.text = text

    @staticmethod
    def escape(text):
        """``text`` with the five HTML special characters replaced by entities."""
        out = ""
        for ch in text:
            if ch in ENTITIES:
                out += ENTITIES[ch]
            else:
                out += ch
        return out

    def render(self):
        return "<p>" + Markup.escape(self.text) + "</p>"
