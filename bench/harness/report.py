"""Reports people can look at: report.json (everything), report.md (tables) and speedups.png."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.harness.evaluate import SLOW, EvalRun
from bench.harness.metrics import summarise

METRIC_COLUMNS = [
    ("n", "n"),
    ("pass_at_1", "Pass@1"),
    ("opt_rate_pie", "%Opt (PIE, >=1.10x)"),
    ("speedup_mean_pie", "mean speedup (PIE)"),
    ("opt_rate_fasterpy", "%OPT (FasterPy)"),
    ("speedup_at_1_fasterpy", "Speedup@1 (FasterPy)"),
]


def machine_info() -> dict:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu_model": model,
        "cpus_usable": len(os.sched_getaffinity(0)),
        "python": sys.version.split()[0],
        "load_average": os.getloadavg(),
    }


def program_names(run: EvalRun) -> list[str]:
    """Every program evaluated besides the slow one, in first-seen order."""
    names: list[str] = []
    for result in run.results:
        names.extend(n for n in result.names if n != SLOW and n not in names)
    return names


def program_metrics(run: EvalRun) -> dict[str, dict]:
    """Metrics per program over the valid rows that have it (valid: the slow program passes its tests)."""
    valid = [r for r in run.results if r.error is None]
    return {name: summarise([r.speedup(name) for r in valid if name in r.names]) for name in program_names(run)}


def build_report(kind: str, run: EvalRun, settings: dict, isolation: dict, extra: dict) -> dict:
    metrics = program_metrics(run)
    return {
        "kind": kind,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "interrupted": run.interrupted,
        "elapsed_s": round(run.elapsed_s, 2),
        "n_rows": len(run.results),
        "n_invalid_rows": sum(r.error is not None for r in run.results),
        **extra,
        "programs": metrics,
        "settings": settings,
        "isolation": isolation,
        "machine": machine_info(),
        "rows": [r.to_json() for r in run.results],
    }


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def metrics_table(programs: dict[str, dict]) -> list[list[str]]:
    header = ["program"] + [label for _, label in METRIC_COLUMNS]
    return [header] + [[name] + [_fmt(m.get(key)) for key, _ in METRIC_COLUMNS] for name, m in programs.items()]


def format_console(table: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in table)


def _markdown(table: list[list[str]]) -> str:
    lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
    lines += ["| " + " | ".join(row) + " |" for row in table[1:]]
    return "\n".join(lines)


def write_report(report: dict, out_dir: Path, title: str, summary_table: list[list[str]]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=1, default=_json_default) + "\n")
    plotted = plot_speedups(report, out_dir / "speedups.png")
    (out_dir / "report.md").write_text(_report_markdown(report, title, summary_table, plotted))


def _json_default(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def _report_markdown(report: dict, title: str, summary_table: list[list[str]], plotted: bool) -> str:
    settings = report["settings"]
    parts = [
        f"# {title}",
        "",
        f"{report['n_rows']} rows ({report['n_invalid_rows']} invalid), {report['elapsed_s']} s, "
        f"created {report['created']}" + (" — **interrupted: partial results**" if report["interrupted"] else ""),
        "",
        _markdown(summary_table),
        "",
        "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items() if v is not None),
        "",
        "Isolation: " + ", ".join(f"{k}={v}" for k, v in report["isolation"].items()),
        "",
        f"Machine: {report['machine']['cpu_model']}, {report['machine']['cpus_usable']} usable CPUs, "
        f"Python {report['machine']['python']}",
    ]
    if plotted:
        parts += ["", "![speedups](speedups.png)"]
    parts += ["", "## Rows", "", *_rows_markdown(report, _verification_note)]
    functions = report.get("functions")
    if functions:
        parts += ["", "## Function rows", "", functions["protocol"], "",
                  f"{functions['n_rows']} rows ({functions['n_invalid_rows']} invalid), {functions['elapsed_s']} s",
                  "", _markdown(metrics_table(functions["programs"])), "",
                  *_rows_markdown(functions, lambda generation: generation.get("evidence", ""))]
    return "\n".join(parts) + "\n"


def _rows_markdown(section: dict, generation_note: Callable[[dict], str]) -> list[str]:
    """One line per row: each program's speedup or "fail", and notes (errors, failures, the optimizer's pick)."""
    names = list(section["programs"])
    lines = ["| # | problem | " + " | ".join(names) + " | notes |", "|---|---|" + "---|" * (len(names) + 1)]
    for row in section["rows"]:
        cells = []
        notes = [row["error"]] if row["error"] else []
        for name in names:
            speedup = row["speedups"].get(name)
            program = row["programs"].get(name, {})
            cells.append(f"{speedup:.2f}x" if speedup is not None else "fail" if program else "-")
            if program.get("failure"):
                notes.append(f"{name}: {program['failure']}")
        generation = section.get("generation", {}).get(row["problem_id"])
        if generation and generation_note(generation):
            notes.append(generation_note(generation))
        note = "; ".join(notes).replace("|", "\\|").replace("\n", " ")[:300]
        lines.append(f"| {row['index']} | {row['problem_id']} | " + " | ".join(cells) + f" | {note} |")
    return lines


def _verification_note(generation: dict) -> str:
    """How the optimizer's pick was verified: given inputs, and the derived ones where its origin needed them."""
    note = f"optimizer verified on {generation.get('inputs_used', 0)} given input(s)"
    derived = generation.get("derived_inputs_checked", 0)
    return note + (f" + {derived} derived" if derived else "")


def plot_speedups(report: dict, path: Path) -> bool:
    """A histogram of each program's speedups over its correct rows (log scale); False if none."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {
        name: [row["speedups"][name] for row in report["rows"] if row["speedups"].get(name) is not None]
        for name in report["programs"]
    }
    series = {name: values for name, values in series.items() if values}
    if not series:
        return False
    low = min(min(v) for v in series.values())
    high = max(max(v) for v in series.values())
    low, high = min(low, 0.5), max(high, 2.0)
    bins = [low * (high / low) ** (i / 40) for i in range(41)]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    for name, values in series.items():
        ax.hist(values, bins=bins, alpha=0.55, label=f"{name} (n={len(values)})")
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(1.10, color="grey", linewidth=0.8, linestyle="--", label="PIE threshold 1.10x")
    ax.set_xlabel("speedup over the slow program (log scale)")
    ax.set_ylabel("rows")
    ax.set_title(f"{report['kind']}: speedup distribution of correct programs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True
