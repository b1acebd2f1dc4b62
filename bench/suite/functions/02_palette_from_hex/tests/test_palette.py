import pytest

from paint.palette import Palette


def test_one_colour():
    assert Palette.from_hex(["#FF8800"]).colours == [(255, 136, 0)]


def test_bad_codes_raise():
    with pytest.raises(ValueError):
        Palette.from_hex(["#12345"])
    with pytest.raises(ValueError):
        Palette.from_hex(["#12345g"])
    with pytest.raises(ValueError):
        Palette.from_hex(["123456a"])


def test_a_gradient():
    codes = [f"#{r:02x}{(r * 7) % 256:02X}{255 - r:02x}" for r in range(256)] * 4
    palette = Palette.from_hex(codes)
    assert len(palette) == 1024
    assert palette.colours[10] == (10, 70, 245)
