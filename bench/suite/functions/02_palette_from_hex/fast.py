DIGITS = "0123456789abcdef"
_HEX = frozenset("0123456789abcdefABCDEF")


class Palette:
    def __init__(self, colours):
        self.colours = colours

    @classmethod
    def from_hex(cls, codes):
        """A palette from codes such as "#ff8800" (case-insensitive); a code that is not one raises ValueError."""
        colours = []
        for code in codes:
            if len(code) != 7 or code[0] != "#" or not _HEX.issuperset(code[1:]):
                raise ValueError(f"not a colour: {code!r}")
            colours.append(tuple(bytes.fromhex(code[1:])))
        return cls(colours)

    def __len__(self):
        return len(self.colours)
