from bench.core.compare import first_difference, outputs_match


def test_whitespace_is_normalised():
    assert outputs_match("1 2  3\r\n4\n\n\n", "1 2 3\n4")
    assert outputs_match(b"Yes   \n", b"Yes")


def test_line_structure_matters():
    assert not outputs_match("1 2", "1\n2")
    assert not outputs_match("1\n2\n3", "1\n2")


def test_floats_within_tolerance():
    assert outputs_match("0.3333333333", "0.333333333333333")
    assert outputs_match("1", "1.0000000")
    assert not outputs_match("0.334", "0.333")
    assert outputs_match("0.334", "0.333", float_tol=1e-2)


def test_integers_are_exact_even_when_large():
    assert not outputs_match("1000000007", "1000000008")
    assert outputs_match("1000000007", "1000000007")


def test_text_tokens_are_exact():
    assert not outputs_match("yes", "Yes")
    assert not outputs_match("nan", "1.0")


def test_first_difference_names_the_line():
    assert first_difference("1\n5\n", "1\n2\n").startswith("line 2:")
    assert "lines" in first_difference("1\n", "1\n2\n")
