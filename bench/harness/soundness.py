"""The rules' soundness on real code (issue 13): apply each fix alone to a library and run its own tests.

For every library of the committed corpus (``soundness_corpus.json``: pinned versions of pure-Python
libraries whose sdists ship a pytest suite) the sdist is downloaded once into the cache, unpacked, installed
with its test dependencies into one scratch venv, and its tests are run once: the baseline, whose failures
are ignored afterwards. Then, for every rule finding with an edit in the library's own modules, that one fix
is applied, the tests of the changed module (``test_<module>.py`` where the suite has one, else all of them)
are run again, and the file is restored. A run breaks when a test fails that passed in the baseline, when
the tests cannot be collected, or when they run past the timeout.

    nice -n 10 python -m bench.harness.soundness [--packages toolz,six | --limit 5] [--safety safe]
        [--rules PERF110,PERF111] [--max-fixes 20] [--timeout 300] [--out DIR]

Writes ``report.json`` and ``report.md`` in ``--out`` (default: the cache's ``report/``). A benchmark, not a
CI test: it downloads packages and runs third-party test suites (minutes per library).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from optimizer.rules import ALL_RULES, RULES_BY_CODE, SourceSyntaxError, apply_edits, find_all
from optimizer.syntax import compiles

CORPUS = Path(__file__).with_name("soundness_corpus.json")
DEFAULT_CACHE = Path("~/.cache/pyperf-assistant/soundness").expanduser()
# pytest's summary lines for tests that did not pass: "FAILED tests/test_x.py::test_y - AssertionError".
_NOT_PASSED = re.compile(r"^(FAILED|ERROR) (\S+)", re.MULTILINE)
_COLLECTED = re.compile(r"^\S+::\S+", re.MULTILINE)
_RAN = re.compile(r"\b\d+ (passed|failed|error)", re.MULTILINE)
# The last pytest whose plugin hooks the older suites' conftest files still satisfy (boltons, dateutil).
PYTEST = "pytest==7.4.4"


@dataclass(frozen=True)
class Package:
    """One library of the corpus: where its code and tests are inside the unpacked sdist."""

    name: str
    version: str
    modules: str  # the package folder or single module, relative to the sdist root ("toolz", "src/attr", "six.py")
    tests: tuple[str, ...]  # test files or folders relative to the sdist root
    deps: tuple[str, ...] = ()  # what the tests need beyond the package's own dependencies
    pytest_args: tuple[str, ...] = ()  # e.g. --ignore of a test file that needs the network

    @property
    def spec(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass
class FixRun:
    """One finding's fix applied alone, and what the package's tests said."""

    package: str
    rule: str
    location: str  # file:line of the finding, relative to the sdist root
    tests: str  # "module" (the changed module's own tests) or "all"
    outcome: str  # passed | broke | does-not-compile | timeout
    new_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class PackageResult:
    name: str
    version: str
    modules: int = 0
    test_functions: int = 0
    baseline_failures: list[str] = field(default_factory=list)
    baseline_seconds: float = 0.0
    findings: Counter = field(default_factory=Counter)  # every finding, with an edit or not, by rule
    runs: list[FixRun] = field(default_factory=list)
    error: str | None = None


def load_corpus(path: Path = CORPUS) -> list[Package]:
    rows = json.loads(path.read_text())
    return [
        Package(
            r["name"],
            r["version"],
            r["modules"],
            tuple(r["tests"]),
            tuple(r.get("deps", ())),
            tuple(r.get("pytest_args", ())),
        )
        for r in rows
    ]


def _run(cmd: list[str], cwd: Path | None = None, timeout: float | None = None, env: dict | None = None) -> str:
    """Run ``cmd``; its output, or ``CalledProcessError`` with the output when it fails."""
    done = subprocess.run(cmd, cwd=cwd, timeout=timeout, env=env, capture_output=True, text=True, check=True)
    return done.stdout


class Workspace:
    """The cache folder: downloaded sdists, unpacked sources and the scratch venv the tests run in."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sdists = root / "sdists"
        self.sources = root / "src"
        self.venv = root / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def ensure_venv(self) -> None:
        if not self.python.exists():
            _run([sys.executable, "-m", "venv", str(self.venv)])
            _run([str(self.python), "-m", "pip", "install", "-q", PYTEST])

    def unpack(self, package: Package) -> Path:
        """The sdist of ``package`` unpacked anew (downloaded into the cache on first use)."""
        self.sdists.mkdir(parents=True, exist_ok=True)
        archive = self._archive(package)
        if archive is None:
            _run([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", package.spec,
                  "-d", str(self.sdists)])  # fmt: skip
            archive = self._archive(package)
        if archive is None:
            raise FileNotFoundError(f"pip downloaded no sdist for {package.spec}")
        # Unpacked afresh every run: a run stopped half-way may have left a fix in a module.
        target = self.sources / f"{package.name}-{package.version}"
        shutil.rmtree(target, ignore_errors=True)
        with tarfile.open(archive) as tar:
            top = tar.getnames()[0].split("/")[0]
            shutil.rmtree(self.sources / top, ignore_errors=True)
            tar.extractall(self.sources, filter="data")
        (self.sources / top).rename(target)
        return target

    def _archive(self, package: Package) -> Path | None:
        # sdist names normalise the project name in different ways (Markdown, python_dateutil, more-itertools).
        wanted = re.sub(r"[-_.]+", "-", package.name).lower()
        for path in self.sdists.glob("*.tar.gz"):
            stem = path.name.removesuffix(".tar.gz")
            name, _, version = stem.rpartition("-")
            if re.sub(r"[-_.]+", "-", name).lower() == wanted and version == package.version:
                return path
        return None

    def install(self, package: Package, root: Path) -> None:
        _run([str(self.python), "-m", "pip", "install", "-q", str(root), *package.deps], timeout=900)


def module_files(root: Path, package: Package) -> list[Path]:
    """The library's own modules (its test modules left out)."""
    base = root / package.modules
    files = [base] if base.suffix == ".py" else sorted(base.rglob("*.py"))
    tests = [(root / t).resolve() for t in package.tests]
    return [
        f
        for f in files
        if not any(f.resolve().is_relative_to(t) for t in tests)
        and not any(part in ("tests", "test", "testing") for part in f.relative_to(root).parts[:-1])
        and not f.name.startswith("test_")
    ]


def tests_for(root: Path, package: Package, module: Path) -> list[str]:
    """The test files that name ``module`` (``test_<stem>.py``, ``<stem>_test.py``); empty: run them all."""
    stem = module.stem.lstrip("_")
    if stem in ("init", "main", "compat", "version"):
        return []
    found = []
    for place in package.tests:
        path = root / place
        candidates = [path] if path.is_file() else path.rglob("*.py")
        for candidate in candidates:
            name = candidate.name
            if name in (f"test_{stem}.py", f"{stem}_test.py", f"test_{stem}s.py") or name.startswith(f"test_{stem}_"):
                found.append(str(candidate.relative_to(root)))
    return sorted(found)


class TestRunner:
    """pytest of one unpacked library in the scratch venv, its source first on the path."""

    def __init__(self, workspace: Workspace, package: Package, root: Path, timeout: float) -> None:
        self.workspace, self.package, self.root, self.timeout = workspace, package, root, timeout
        import_root = (root / package.modules).parent
        self.env = {
            **os.environ,
            # The unpacked source shadows the installed copy, so an edit takes effect without reinstalling.
            "PYTHONPATH": str(import_root),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
        }

    def _pytest(self, targets: list[str], *extra: str) -> tuple[int, str]:
        # The projects' own addopts and warning filters name plugins (coverage) and pytest versions we do not
        # install; a test module that cannot be imported (an optional dependency) is a baseline error.
        cmd = [str(self.workspace.python), "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "--no-header",
               "-o", "addopts=", "-p", "no:warnings", "--continue-on-collection-errors",
               *self.package.pytest_args, *extra, *targets]  # fmt: skip
        done = subprocess.run(cmd, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=self.timeout)
        return done.returncode, done.stdout + done.stderr

    def collect(self) -> int:
        _, out = self._pytest(list(self.package.tests), "--collect-only")
        return len(_COLLECTED.findall(out))

    def failures(self, targets: list[str] | None = None) -> tuple[int, set[str]]:
        """pytest's exit code and the ids of the tests that did not pass.

        A run that reports no test at all (a conftest that pytest refuses, say) is an error, never a pass.
        """
        code, out = self._pytest(targets or list(self.package.tests))
        if not _RAN.search(out):
            raise NoTestsRan(f"pytest (exit code {code}) ran no tests: {out.strip()[-300:]}")
        return code, {m[1] for m in _NOT_PASSED.findall(out)}


class NoTestsRan(RuntimeError):
    """pytest reported no passed, failed or erroring test: the setup is broken, not the code."""


def fix_runs(runner: TestRunner, result: PackageResult, files: list[Path], args: argparse.Namespace) -> None:
    """Apply each selected finding's edits alone, run the tests, restore the module."""
    per_rule: Counter = Counter()
    root = runner.root
    baseline = set(result.baseline_failures)
    for path in files:
        original = path.read_text(encoding="utf-8")
        try:
            findings = find_all(original)
        except SourceSyntaxError:
            continue
        for finding in findings:
            result.findings[finding.code] += 1
            rule = RULES_BY_CODE[finding.code]
            if not finding.edits or (args.rules and finding.code not in args.rules):
                continue
            if args.safety != "all" and rule.safety != args.safety:
                continue
            if per_rule[finding.code] >= args.max_fixes:
                continue
            per_rule[finding.code] += 1
            location = f"{path.relative_to(root)}:{finding.start[0]}"
            targets = tests_for(root, runner.package, path)
            run = FixRun(result.name, finding.code, location, "module" if targets else "all", "passed")
            fixed = apply_edits(original, finding.edits)
            if not compiles(fixed):
                run.outcome = "does-not-compile"
                result.runs.append(run)
                continue
            started = time.monotonic()
            try:
                path.write_text(fixed, encoding="utf-8")
                code, failed = runner.failures(targets)
                new = sorted(failed - baseline)
                if new or code not in (0, 1, 5):
                    run.outcome, run.new_failures = "broke", new[:10] or [f"pytest exit code {code}"]
            except subprocess.TimeoutExpired:
                run.outcome = "timeout"
            except NoTestsRan as exc:
                run.outcome, run.new_failures = "broke", [str(exc)[:200]]
            finally:
                path.write_text(original, encoding="utf-8")
            run.seconds = round(time.monotonic() - started, 1)
            result.runs.append(run)
            print(f"  {run.rule} {run.location}: {run.outcome} ({run.seconds}s)", file=sys.stderr, flush=True)


def check_package(workspace: Workspace, package: Package, args: argparse.Namespace) -> PackageResult:
    result = PackageResult(package.name, package.version)
    print(f"{package.spec}", file=sys.stderr, flush=True)
    try:
        root = workspace.unpack(package)
        workspace.install(package, root)
        runner = TestRunner(workspace, package, root, args.timeout)
        files = module_files(root, package)
        result.modules = len(files)
        result.test_functions = runner.collect()
        started = time.monotonic()
        code, failed = runner.failures()
        result.baseline_seconds = round(time.monotonic() - started, 1)
        if code not in (0, 1):
            raise RuntimeError(f"baseline pytest exit code {code}")
        result.baseline_failures = sorted(failed)
        fix_runs(runner, result, files, args)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError, RuntimeError) as exc:
        detail = getattr(exc, "stderr", None) or ""
        result.error = f"{type(exc).__name__}: {exc} {detail[-500:]}".strip()
        print(f"  skipped: {result.error}", file=sys.stderr, flush=True)
    return result


def summarise(results: list[PackageResult]) -> dict:
    """The report: corpus size, and per rule the findings, fixes run and breaks (with where they broke)."""
    ok = [r for r in results if r.error is None]
    rules = {}
    for rule in ALL_RULES:
        runs = [run for r in ok for run in r.runs if run.rule == rule.code]
        rules[rule.code] = {
            "name": rule.name,
            "safety": rule.safety,
            "findings": sum(r.findings[rule.code] for r in ok),
            "fixes_run": len([x for x in runs if x.outcome != "does-not-compile"]),
            "does_not_compile": len([x for x in runs if x.outcome == "does-not-compile"]),
            "breaks": [asdict(x) for x in runs if x.outcome in ("broke", "timeout")],
        }
    return {
        "corpus": {
            "packages": len(ok),
            "modules": sum(r.modules for r in ok),
            "test_functions": sum(r.test_functions for r in ok),
            "skipped": {r.name: r.error for r in results if r.error},
        },
        "packages": [
            {
                "name": r.name,
                "version": r.version,
                "modules": r.modules,
                "test_functions": r.test_functions,
                "baseline_failures": len(r.baseline_failures),
                "baseline_seconds": r.baseline_seconds,
                "fixes_run": len(r.runs),
            }
            for r in ok
        ],
        "rules": rules,
    }


def markdown(report: dict, command: str) -> str:
    corpus = report["corpus"]
    lines = [
        "# Rule soundness on real libraries",
        "",
        f"`{command}`: {corpus['packages']} packages, {corpus['modules']} modules, "
        f"{corpus['test_functions']} test functions.",
        "",
        "| rule | safety | findings | fixes run | breaks |",
        "|---|---|---|---|---|",
    ]
    for code, row in report["rules"].items():
        if row["findings"]:
            lines.append(f"| {code} `{row['name']}` | {row['safety']} | {row['findings']} | {row['fixes_run']} | "
                         f"{len(row['breaks'])} |")  # fmt: skip
    breaks = [b for row in report["rules"].values() for b in row["breaks"]]
    if breaks:
        lines += ["", "## Breaks", ""]
        for b in breaks:
            lines.append(f"- {b['rule']} at {b['package']} `{b['location']}`: {', '.join(b['new_failures'][:3])}")
    if corpus["skipped"]:
        lines += ["", "## Skipped", ""] + [f"- {name}: {why[:200]}" for name, why in corpus["skipped"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.harness.soundness", description=__doc__.split("\n")[0])
    parser.add_argument("--packages", help="comma-separated names from the corpus (default: all)")
    parser.add_argument("--limit", type=int, help="only the first N packages of the corpus")
    parser.add_argument("--rules", type=lambda s: set(s.split(",")), help="comma-separated rule codes")
    parser.add_argument("--safety", choices=("safe", "unsafe", "all"), default="all")
    parser.add_argument("--max-fixes", type=int, default=20, help="fixes run per rule and package")
    parser.add_argument("--timeout", type=float, default=300, help="seconds for one pytest run")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    corpus = load_corpus()
    if args.packages:
        wanted = set(args.packages.split(","))
        corpus = [p for p in corpus if p.name in wanted]
    if args.limit:
        corpus = corpus[: args.limit]
    workspace = Workspace(args.cache)
    workspace.ensure_venv()
    results = [check_package(workspace, package, args) for package in corpus]
    report = summarise(results)
    out = args.out or args.cache / "report"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    command = "python -m bench.harness.soundness " + " ".join(argv if argv is not None else sys.argv[1:])
    (out / "report.md").write_text(markdown(report, command.strip()))
    print(f"wrote {out / 'report.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
