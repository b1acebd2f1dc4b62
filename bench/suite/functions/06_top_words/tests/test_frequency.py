from textkit.frequency import top_words


def test_ties_are_alphabetical():
    assert top_words("b a b a c", k=2) == [("a", 2), ("b", 2)]


def test_case_is_folded():
    assert top_words("Word word WORD other") == [("word", 3), ("other", 1)]


def test_an_article(article):
    top = top_words(article, k=5)
    assert len(top) == 5
    assert top[0][1] >= top[-1][1]
    assert sum(count for _, count in top_words(article, k=1000)) == 3000
