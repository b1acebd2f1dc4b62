"""The rules' candidate search: the fixpoint, the fixpoint minus each fired rule, each fired family alone."""

from optimizer.candidates import ENGINE_PRESETS
from optimizer.generate import CandidateGenerator, GeneratorSettings
from optimizer.rules import RULES_BY_CODE, rewrite
from optimizer.rules.engine import rewrite_variants, rule_family

# Several rules of several families fire: an unused import, a summing loop, printing in a loop, the module loop.
SLOW = """import sys
n = int(input())
a = list(map(int, input().split()))
total = 0
for x in a:
    total += x
for i in range(n):
    print(a[i])
print(total)
"""


def test_the_fixpoint_comes_first_and_every_variant_is_distinct_and_changed():
    variants = rewrite_variants(SLOW, max_variants=50, time_budget_s=60)
    assert variants[0].label == "fixpoint"
    assert variants[0].result.code == rewrite(SLOW).code
    codes = [v.result.code for v in variants]
    assert len(set(codes)) == len(codes) and SLOW not in codes
    assert any(v.label.startswith("family:") for v in variants)


def test_a_variant_without_a_rule_holds_no_edit_of_it():
    variants = rewrite_variants(SLOW, max_variants=50, time_budget_s=60)
    fired = variants[0].rule_codes
    without = {v.label.removeprefix("without:"): v for v in variants if v.label.startswith("without:")}
    assert "PERF106" in fired and "PERF106" in without
    for code, variant in without.items():
        assert code in fired and code not in variant.rule_codes
    assert not without["PERF106"].result.code.startswith("def main")


def test_a_family_variant_uses_only_that_family():
    for variant in rewrite_variants(SLOW, max_variants=50, time_budget_s=60):
        if variant.label.startswith("family:"):
            family = variant.label.removeprefix("family:")
            assert {rule_family(RULES_BY_CODE[c]) for c in variant.rule_codes} == {family}


def test_the_cap_and_the_time_budget_bound_the_search():
    assert len(rewrite_variants(SLOW, max_variants=2, time_budget_s=60)) == 2
    assert [v.label for v in rewrite_variants(SLOW, time_budget_s=0.0)] == ["fixpoint"]


def test_code_no_rule_applies_to_has_no_variant():
    assert rewrite_variants("print(1)\n") == []


def test_rule_family_is_the_rule_module():
    assert rule_family(RULES_BY_CODE["PERF106"]) == "scope"
    assert rule_family(RULES_BY_CODE["PERF103"]) == rule_family(RULES_BY_CODE["PERF104"]) == "input_output"


def test_the_generator_offers_each_variant_as_a_rules_candidate():
    generator = CandidateGenerator(GeneratorSettings(engines=ENGINE_PRESETS["rules"], max_rule_candidates=4))
    candidates, notes = generator.candidates(SLOW)
    assert notes == [] and len(candidates) == 4
    assert candidates[0].code == rewrite(SLOW).code
    # Engine "rules" keeps a safe rules-only candidate trusted on the given inputs, as the fixpoint was.
    assert all(c.engine == "rules" and c.rules for c in candidates)
    assert len({c.rules for c in candidates}) == 4
