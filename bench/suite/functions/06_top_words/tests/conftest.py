import random

import pytest

VOCABULARY = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]


@pytest.fixture
def article():
    """A reproducible text of a few thousand words: the only place its words exist is this fixture."""
    rng = random.Random(7)
    words = [rng.choice(VOCABULARY) + str(rng.randrange(30)) for _ in range(3000)]
    return " ".join(word.upper() if i % 5 == 0 else word for i, word in enumerate(words))
