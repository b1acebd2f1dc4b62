from calc.parser import Parser


def test_an_assignment():
    assert Parser().parse("x1 = 12*(y_2+3)") == ["x1", "=", "12", "*", "(", "y_2", "+", "3", ")"]


def test_numbers_then_names():
    assert Parser.Lexer().tokens("12abc 3") == ["12", "abc", "3"]


def test_a_long_program():
    text = "total = total + price_3 * 41 - (discount / 2)\n" * 60
    tokens = Parser().parse(text)
    assert len(tokens) == 60 * 13 and tokens[:3] == ["total", "=", "total"]
