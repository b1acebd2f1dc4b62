from pages.markup import Markup


def test_nothing_to_escape():
    assert Markup.escape("plain") == "plain"
    assert Markup.escape("") == ""


def test_every_entity():
    assert Markup.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"


def test_a_long_page():
    page = Markup("if a < b && c > d: print('yes') " * 150)
    rendered = page.render()
    assert rendered.count("&amp;") == 300 and rendered.startswith("<p>if a &lt; b")
