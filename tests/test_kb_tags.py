"""One tag vocabulary (kb/tags.py) for the summariser, the catalogue and the optimizer's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.catalogue import CATALOGUE_DIR, load_entry
from kb.errors import CatalogueError
from kb.summarise import RuleSummariser
from kb.summarise.changes import SUMMARISER_VERSION
from kb.tags import CATEGORIES, CHANGES, TAG_CATEGORY, VOCABULARY


def test_every_change_belongs_to_a_category_and_every_name_has_a_meaning():
    assert set(TAG_CATEGORY.values()) <= set(CATEGORIES)
    assert all(meaning.strip() for meaning in CATEGORIES.values())
    assert all(meaning.strip() for _, meaning in CHANGES.values())


def test_the_catalogue_folders_are_categories():
    folders = {path.name for path in CATALOGUE_DIR.iterdir() if path.is_dir()}
    assert folders <= set(CATEGORIES)


def test_the_summariser_tags_only_with_the_vocabulary():
    pairs = [("x = []\nfor i in range(9):\n    x.append(i)\n", "x = list(range(9))\n"),
             ("n = int(input())\nprint(n)\n", "import sys\nprint(int(sys.stdin.read()))\n"),
             ("a = 1\n", "a = 2\n")]
    summariser = RuleSummariser()
    assert summariser.name == SUMMARISER_VERSION
    for slow, fast in pairs:
        summary = summariser.summarise(slow, fast)
        assert set(summary.tags) <= VOCABULARY and summary.category in CATEGORIES


def _entry(tmp_path: Path, category: str, tags: str) -> Path:
    path = tmp_path / "entry.toml"
    path.write_text(f'title = "t"\ncategory = "{category}"\ntags = [{tags}]\nsuggestion = "s"\n'
                    'slow = "print(1)"\nfast = "print(1)"\n'
                    'input_generator = "x"\n'
                    "input_size = 1\n")
    return path


def test_a_catalogue_entry_outside_the_vocabulary_is_refused(tmp_path: Path):
    assert load_entry(_entry(tmp_path, "loops", '"loops", "comprehension"')).tags == ("loops", "comprehension")
    with pytest.raises(CatalogueError, match="'data-structure' are not in the vocabulary"):
        load_entry(_entry(tmp_path, "loops", '"data-structure"'))
    with pytest.raises(CatalogueError, match="category 'loop' is not one of"):
        load_entry(_entry(tmp_path, "loop", '"loops"'))


def test_every_rule_tag_is_in_the_vocabulary():
    from optimizer.rules import ALL_RULES

    unknown = {(rule.code, tag) for rule in ALL_RULES for tag in rule.tags if tag not in VOCABULARY}
    assert not unknown, sorted(unknown)
