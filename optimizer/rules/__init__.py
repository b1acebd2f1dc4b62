"""Deterministic AST rewrite rules: each finds a slow pattern, checks its precondition, proposes edits.

``ALL_RULES`` is the registry the language server, the knowledge base and the docs read. ``find_all``
lists the findings in a source; ``rewrite`` applies every applicable one, re-analysing until none is left.
"""

from optimizer.rules.arith import IntSqrt, PowMod
from optimizer.rules.base import Finding, Rule, Source, SourceSyntaxError, TextEdit
from optimizer.rules.collecting import AccumulateLoop, AppendToComprehension, CounterLoop, StringConcatInLoop
from optimizer.rules.dicts import DictGetCounting, DictKeysMembership
from optimizer.rules.digits import DigitCountLoop
from optimizer.rules.engine import OverlappingEditsError, RewriteResult, apply_edits, find_all, rewrite
from optimizer.rules.hoisting import RegexInLoop, SortedInLoop, WhileLenHoist
from optimizer.rules.imports import UnusedImport
from optimizer.rules.input_output import BufferedInput, EvalInput, PrintInLoop
from optimizer.rules.iteration import AnyAllOverList, RangeLenIndex, RedundantListCall
from optimizer.rules.membership import ListMembershipToSet
from optimizer.rules.memo import MemoizeRecursion
from optimizer.rules.numpy_arrays import NumpyArrayAsList
from optimizer.rules.numpy_stdlib import NumpyToStdlib
from optimizer.rules.reductions import AnyAllLoop, ManualCount, ManualMinMax, ManualSum
from optimizer.rules.scope import WrapModuleLoop
from optimizer.rules.structures import DeepcopyFlat, ListAsQueue, NeedlessCopy

# The order is ``rewrite``'s priority: when two findings touch the same code, the earlier rule wins and
# the other is reconsidered on the re-analysed code. Whole-loop rewrites come before the rules that
# change a part of a loop; the exclusive rule that re-indents the module's script part comes last.
ALL_RULES: tuple[Rule, ...] = (
    UnusedImport(),
    NumpyToStdlib(),
    NumpyArrayAsList(),
    EvalInput(),
    BufferedInput(),
    CounterLoop(),
    AccumulateLoop(),
    AppendToComprehension(),
    StringConcatInLoop(),
    ManualSum(),
    ManualCount(),
    ManualMinMax(),
    AnyAllLoop(),
    DictGetCounting(),
    DictKeysMembership(),
    ListMembershipToSet(),
    ListAsQueue(),
    NeedlessCopy(),
    DeepcopyFlat(),
    SortedInLoop(),
    RegexInLoop(),
    WhileLenHoist(),
    MemoizeRecursion(),
    DigitCountLoop(),
    PowMod(),
    IntSqrt(),
    RangeLenIndex(),
    RedundantListCall(),
    AnyAllOverList(),
    PrintInLoop(),
    WrapModuleLoop(),
)

RULES_BY_CODE = {rule.code: rule for rule in ALL_RULES}

__all__ = [
    "ALL_RULES",
    "RULES_BY_CODE",
    "Finding",
    "OverlappingEditsError",
    "RewriteResult",
    "Rule",
    "Source",
    "SourceSyntaxError",
    "TextEdit",
    "apply_edits",
    "find_all",
    "rewrite",
]
