"""The project's catalogue of patterns and the default knowledge base built from it."""

import pytest
from kb_support import shared_embedder

from kb.catalogue import (
    CATALOGUE_DIR,
    catalogue_hash,
    check_entry,
    default_kb_path,
    load_catalogue,
    load_measurements,
    measurement_settings,
)
from kb.query import KnowledgeBase, RetrievalPolicy
from kb.schema import rate_from_speedup
from kb.tags import TAG_CATEGORY

CATEGORIES = {path.name for path in CATALOGUE_DIR.iterdir() if path.is_dir()}


@pytest.fixture(scope="module")
def entries():
    return load_catalogue()


def test_at_least_sixty_well_formed_entries(entries):
    assert len(entries) >= 60
    for entry in entries:
        assert entry.category == entry.path.parent.name, entry.id
        assert entry.title and len(entry.suggestion) > 40, entry.id
        assert set(entry.tags) <= set(TAG_CATEGORY) | CATEGORIES, (entry.id, entry.tags)
        assert entry.slow.strip() != entry.fast.strip(), entry.id
    assert len({entry.title for entry in entries}) == len(entries)


def test_inputs_are_deterministic(entries):
    for entry in entries[:10]:
        assert entry.make_input(50) == entry.make_input(50)


def test_every_entry_has_a_current_runner_measurement(entries):
    measurements = load_measurements()
    settings = measurement_settings()
    assert settings["num_trials"] >= 5 and settings["metric"] == "cpu"
    for entry in entries:
        measured = measurements.get(entry.id)
        assert measured is not None, f"{entry.id}: run python -m kb measure-catalogue --only {entry.id}"
        assert measured.content_hash == entry.content_hash(), f"{entry.id} changed since it was measured"
        assert measured.speedup == pytest.approx(measured.slow_s / measured.fast_s, rel=1e-3)
        assert measured.rate == pytest.approx(rate_from_speedup(measured.speedup))
        # The slow program does real work: timings dominated by noise would make the rate meaningless.
        assert measured.slow_s >= 0.01, entry.id
    assert sum(1 for m in measurements.values() if m.rate > 0.5) >= 40


def test_fast_and_slow_programs_print_the_same_on_a_small_input(entries):
    runner_module = pytest.importorskip("bench.core.runner")
    with runner_module.Runner(mode="zygote") as runner:
        problems = {entry.id: check_entry(entry, runner, size=7) for entry in entries}
    assert {k: v for k, v in problems.items() if v} == {}


@pytest.fixture(scope="module")
def default_kb(tmp_path_factory):
    embedder = shared_embedder()
    path = default_kb_path(embedder, directory=tmp_path_factory.mktemp("cache"))
    with KnowledgeBase.open(path, embedder=embedder) as kb:
        yield kb


def test_default_kb_holds_every_measured_entry_and_is_cached(default_kb, entries):
    assert len(default_kb) == len(entries)
    assert default_kb_path(default_kb.embedder, directory=default_kb.path.parent) == default_kb.path
    entry = default_kb.get("cat-set-membership")
    assert (
        entry is not None and entry.evidence.method == "runner" and entry.provenance.license == "Apache-2.0"
    )


def test_catalogue_hash_changes_with_the_measurements(entries):
    measurements = load_measurements()
    changed = dict(measurements)
    first = next(iter(changed))
    changed[first] = type(changed[first])(**{**changed[first].__dict__, "speedup": 99.0})
    assert catalogue_hash(entries, measurements) != catalogue_hash(entries, changed)


@pytest.mark.parametrize(
    ("code", "tag"),
    [
        (
            "n = int(input())\nrows = []\nfor _ in range(n):\n"
            "    rows.append(list(map(int, input().split())))\n",
            "input-read-all",
        ),
        ("a = eval(input())\nb = eval(input())\nprint(a + b)\n", "eval-removal"),
        (
            "def paths(r, c):\n    if r == 0 or c == 0:\n        return 1\n    return paths(r - 1, c) + "
            "paths(r, c - 1)\nprint(paths(12, 12))\n",
            "memoization",
        ),
        ("for value in results:\n    print(value)\n", "output-batch"),
        ("for q in queries:\n    print(sorted(values)[q])\n", "hoist-invariant"),
        ("import numpy as np\nx = np.array([1, 2, 3])\nprint(x.sum())\n", "drop-numpy"),
    ],
)
def test_default_kb_suggests_the_pattern_a_snippet_shows(default_kb, code, tag):
    hits = default_kb.query(code, k=2, policy=RetrievalPolicy(min_rate=None, rerank="similarity"))
    assert any(tag in hit.tags for hit in hits), [(hit.entry_id, round(hit.similarity, 3)) for hit in hits]
