"""The one exception type of training: bad input or an unusable setting, said in one line."""

from __future__ import annotations


class TrainingError(Exception):
    """A training command cannot go on; the message says why and what to do."""
