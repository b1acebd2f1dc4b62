from .entities import ENTITIES


class Markup:
    def __init__(self, text):
        self.text = text

    @staticmethod
    def escape(text):
        """``text`` with the five HTML special characters replaced by entities."""
        # "&" first: the entities written by the other replacements contain one.
        for ch in "&<>\"'":
            if ch in text:
                text = text.replace(ch, ENTITIES[ch])
        return text

    def render(self):
        return "<p>" + Markup.escape(self.text) + "</p>"
