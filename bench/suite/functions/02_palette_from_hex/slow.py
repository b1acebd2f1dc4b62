DIGITS = "0123456789abcdef"


class Palette:
    def __init__(self, colours):
        self.colours = colours

    @classmethod
    def from_hex(cls, codes):
        """A palette from codes such as "#ff8800" (case-insensitive); a code that is not one raises ValueError."""
        colours = []
        for code in codes:
            if len(code) != 7 or code[0] != "#":
                raise ValueError(f"not a colour: {code!r}")
            channels = []
            for start in (1, 3, 5):
                value = 0
                for ch in code[start:start + 2].lower():
                    if ch not in DIGITS:
                        raise ValueError(f"not a colour: {code!r}")
                    value = value * 16 + DIGITS.index(ch)
                channels.append(value)
            colours.append(tuple(channels))
        return cls(colours)

    def __len__(self):
        return len(self.colours)
