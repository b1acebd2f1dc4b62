from .entities import ENTITIES

_TABLE = str.maketrans(ENTITIES)


class Markup:
    def __init__(self, text):
        self.text = text

    @staticmethod
    def escape(text):
        """``text`` with the five HTML special characters replaced by entities."""
        return text.translate(_TABLE)

    def render(self):
        return "<p>" + Markup.escape(self.text) + "</p>"
