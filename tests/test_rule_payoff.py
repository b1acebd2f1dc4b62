"""The per-rule payoff table of ``bench.harness.rule_measure --table``: what it counts and how it reads."""

from bench.harness.rule_measure import PayoffRow, _percentile, payoff_table, pie_programs
from bench.harness.split import select_half
from optimizer.verify import VerifySettings

ROWS = [
    PayoffRow(0, "p1", {"PERF111": ("faster", 1.8), "PERF106": ("not_faster", 0.97)}, ("not_faster", 1.01),
              ("faster", 1.8), "without:PERF106",
              {"as_verified": 0.97, "teardown_share": 0.05, "against_freed": 1.02, "python_main_py": 1.03}),
    PayoffRow(1, "p2", {"PERF106": ("wrong", None)}, ("wrong", None), ("wrong", None), "fixpoint"),
    PayoffRow(2, "p3"),
]


def _line(table: str, code: str) -> list[str]:
    line = next(line for line in table.splitlines() if line.startswith(f"| {code} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_each_rule_gets_fires_faster_wrong_and_speedups():
    table = payoff_table(ROWS, VerifySettings(), "python -m bench.harness.rule_measure --table x", "3 programs")
    assert _line(table, "PERF111")[4:] == ["1", "1", "0", "1.80", "1.80"]
    assert _line(table, "PERF106")[4:] == ["2", "0", "1", "0.97", "0.97"]
    assert _line(table, "PERF101")[4:] == ["0", "0", "0", "-", "-"]
    assert "never verified faster alone: PERF106." in table
    assert "python -m bench.harness.rule_measure --table x" in table


def test_the_search_is_compared_with_the_fixpoint_over_all_programs():
    table = payoff_table(ROWS, VerifySettings(), "cmd", "3 programs")
    assert "the fixpoint alone: 0 of 3 programs verified faster, mean speedup over all programs 1.00" in table
    assert "1 of 3 programs verified faster, mean speedup over all programs 1.27; the winners: without 1" in table


def test_perf106_teardown_section_reports_the_three_measurements():
    table = payoff_table(ROWS, VerifySettings(), "cmd", "3 programs")
    assert "| original with its globals freed at its end | 1.02 | 1.02 | 0 of 1 |" in table
    assert "| verified (zygote, globals never freed) | 0.97 | 0.97 | 0 of 1 |" in table


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 11)]
    assert _percentile(values, 0.5) == 5.0 and _percentile(values, 0.9) == 9.0 and _percentile([2.0], 0.9) == 2.0


def test_the_half_keeps_only_its_problems(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"problem_id": "p00001", "slow_code_col": "print(1)"}\n'
                    '{"problem_id": "p00002", "slow_code_col": "print(2)"}\n')
    programs = pie_programs(rows, tmp_path)
    split = {"tuning": ["p00002"], "report": ["p00001"]}
    assert [p.problem_id for p in select_half(programs, "tuning", lambda p: p.problem_id, split)] == ["p00002"]
