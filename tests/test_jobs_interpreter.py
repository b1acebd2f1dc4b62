"""The user's interpreter runs the user's code (``pyperf.interpreter``): the sandbox's zygote runs under it, a
job verifies a program with it, and a project's tests run with its pytest (or the title says it has none)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from interpreter_support import make_venv

from bench.core.runner import Runner
from optimizer.candidates import Engines, VerificationInputs
from server.jobs import JobRequest, run_job, title

RULES = Engines(rules=True, llm=False, retrieval=False)
FIXTURE = Path(__file__).parent / "fixtures" / "realpkg"


@pytest.fixture(scope="module")
def user_venv(tmp_path_factory) -> Path:
    """Another venv's python: none of the project's packages are in it."""
    return make_venv(tmp_path_factory.mktemp("user") / "uservenv")


def test_the_zygote_runs_under_the_given_interpreter(user_venv: Path):
    program = f"import os, sys; print(sys.prefix); print(os.path.exists({sys.prefix!r}))"
    with Runner(jobs=1, python=str(user_venv)) as runner:
        result = runner.run(program)
    assert result.ok, result.stderr
    prefix, server_visible = result.stdout_text.splitlines()
    assert prefix == str(user_venv.parent.parent)  # its kept paths come from the interpreter it runs under
    assert server_visible == "False" or sys.prefix == sys.base_prefix  # the server's venv is not shown


def test_a_job_verifies_a_stdin_program_with_the_users_interpreter(user_venv: Path):
    # The program works only under the user's interpreter: under the server's, the original fails everywhere.
    source = ("import sys\n"
              f"assert sys.prefix == {str(user_venv.parent.parent)!r}, sys.prefix\n"
              "n = int(input())\n"
              "total = 0\n"
              "for i in range(n):\n"
              "    total = total + i * i\n"
              "print(total)\n")
    inputs = VerificationInputs((b"20000\n",), ("input1.txt",))
    request = JobRequest("program", source, RULES, inputs=inputs, time_budget_s=60)
    ours = run_job(request)
    assert ours.status == "unverified" and "fails on every input" in title(ours), title(ours)
    users = run_job(JobRequest("program", source, RULES, inputs=inputs, time_budget_s=60, python=str(user_venv)))
    assert users.status in ("faster", "not_faster", "no_candidates"), title(users)
    assert "fails on every input" not in title(users)


def realpkg_request(tmp_path: Path, python: Path) -> JobRequest:
    workspace = tmp_path / "realpkg"
    shutil.copytree(FIXTURE, workspace)
    path = workspace / "realpkg" / "catalog.py"
    return JobRequest("function", path.read_text(), RULES, name="Catalog.percentile_ranks", time_budget_s=90,
                      path=str(path), workspace=str(workspace), python=str(python))


@pytest.mark.slow
def test_a_project_without_pytest_in_the_users_interpreter_says_so(user_venv: Path, tmp_path: Path):
    outcome = run_job(realpkg_request(tmp_path, user_venv))
    assert outcome.status == "failed"
    assert f"your interpreter ({user_venv}) has no pytest; install pytest into it" in title(outcome), title(outcome)


@pytest.mark.slow
def test_a_projects_tests_run_with_the_users_pytest(tmp_path: Path):
    python = make_venv(tmp_path / "withpytest", with_pytest=True)
    outcome = run_job(realpkg_request(tmp_path, python))
    assert "captured from 3 tests (tests/test_catalog.py), 3 tests pass" in title(outcome), title(outcome)
