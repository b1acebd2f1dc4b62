"""The project's own diff summariser: names the optimisation between a slow and a fast program.

``summarise_change(slow, fast)`` reads both programs' syntax trees, extracts performance-relevant
traits (how input is read, which containers are searched, loop nesting, recursion, caching, ...) and
turns the traits that changed into plain words, e.g. "reads all input at once with
sys.stdin.buffer.read() instead of calling input() per line". ``describe_code(code)`` describes one
program by the same traits; it is the "description" embedded next to the code when
``EmbedderOptions.text_mode`` asks for it.

Anything that produces a ``ChangeSummary`` can replace ``RuleSummariser`` (an LLM summariser, say):
see the ``Summariser`` protocol. The package is stdlib-only and cheap to import: ``traits`` reads one
program, ``changes`` names what changed between two, ``describe`` describes one; the tags come from
``kb.tags``.
"""

from kb.summarise.changes import (
    SUMMARISER_VERSION,
    Change,
    ChangeSummary,
    RuleSummariser,
    Summariser,
    summarise_change,
    unified_diff,
)
from kb.summarise.describe import describe_code
from kb.summarise.traits import CodeTraits, code_traits
from kb.tags import GENERIC_TAGS, TAG_CATEGORY

__all__ = [
    "GENERIC_TAGS",
    "SUMMARISER_VERSION",
    "TAG_CATEGORY",
    "Change",
    "ChangeSummary",
    "CodeTraits",
    "RuleSummariser",
    "Summariser",
    "code_traits",
    "describe_code",
    "summarise_change",
    "unified_diff",
]
