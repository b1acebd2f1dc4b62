"""The sandbox must contain what an untrusted program does, and leave the caller working afterwards."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits


def test_runs_a_program_on_stdin(runner: Runner):
    result = runner.run("import sys\nprint(sum(map(int, sys.stdin.read().split())))", b"1 2 3\n")
    assert result.ok, result.reason
    assert result.stdout == b"6\n"
    assert result.exit_code == 0
    assert 0 < result.cpu_s < 5 and 0 < result.wall_s < 5
    assert result.max_rss_bytes > 1 << 20


def test_exit_status_and_exception_are_reported(runner: Runner):
    assert runner.run("raise SystemExit(3)").exit_code == 3
    result = runner.run("print('partial')\n1/0")
    assert result.status == "error"
    assert "ZeroDivisionError" in result.reason
    assert result.stdout == b"partial\n"  # output written before the crash is kept
    assert runner.run("import sys\nsys.exit('bye')").stderr.strip() == b"bye"


def test_runs_as_main_with_a_fresh_namespace(runner: Runner):
    runner.run("leak = 1")
    result = runner.run("print(__name__, 'leak' in globals())")
    assert result.stdout == b"__main__ False\n"


def test_threads_are_joined_and_atexit_runs(runner: Runner):
    code = (
        "import atexit, threading, time\n"
        "atexit.register(lambda: print('atexit'))\n"
        "def work():\n    time.sleep(0.05)\n    print('thread')\n"
        "threading.Thread(target=work).start()\n"
    )
    result = runner.run(code)
    assert result.stdout == b"thread\natexit\n"
    assert result.wall_s >= 0.05  # the thread's work is part of the program's time


def test_environment_is_scrubbed_and_cwd_is_private(runner: Runner, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYPERF_SECRET", "s3cret")
    code = ("import os\nprint(os.environ.get('PYPERF_SECRET'))\nprint(os.listdir('.'))\n"
            "print(os.getcwd() == os.environ['HOME'])")
    result = runner.run(code)
    assert result.stdout.decode().split("\n")[:3] == ["None", "['main.py']", "True"]


def test_infinite_loop_is_killed_at_the_time_limit(runner: Runner):
    started = time.perf_counter()
    result = runner.run("while True:\n    pass", limits=SandboxLimits(timeout_s=1.0))
    assert result.status == "timeout"
    assert time.perf_counter() - started < 5


def test_grandchildren_do_not_outlive_the_run(runner: Runner):
    # The program starts a detached grandchild in a session of its own, then hangs. Inside a PID
    # namespace its pid means nothing to the host, so it is found by a marker in its command line.
    marker = f"pyperf-grandchild-{uuid.uuid4().hex}"
    code = (
        "import os, subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', {marker!r}],"
        " start_new_session=True)\n"
        "print(p.pid, flush=True)\n"
        "while True:\n    pass\n"
    )
    result = runner.run(code, limits=SandboxLimits(timeout_s=1.0))
    assert result.status == "timeout"
    assert result.stdout.split()  # the grandchild was started
    time.sleep(0.2)
    assert not [pid for pid in processes_with(marker) if not _is_zombie(pid)]


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0] == "Z"
    except OSError:
        return True


def test_fork_bomb_is_contained(runner: Runner):
    if runner.isolation().get("process_limit") == "none":
        pytest.skip("running as root without a pids cgroup: nothing can bound a fork bomb here")
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    before = len(os.listdir("/proc"))
    result = runner.run(code, limits=SandboxLimits(timeout_s=1.0, max_processes=16))
    assert result.status in ("timeout", "signal", "error")
    time.sleep(0.2)
    assert len(os.listdir("/proc")) < before + 10  # nothing left running
    assert runner.run("print('alive')").stdout == b"alive\n"


def test_ten_gigabytes_of_memory_are_refused(runner: Runner):
    result = runner.run("x = bytearray(10 * 1024 ** 3)\nprint(len(x))")
    assert result.status == "memory"
    assert result.stdout == b""


def test_a_five_gigabyte_file_is_stopped(runner: Runner):
    code = "with open('big', 'wb') as f:\n    for _ in range(5 * 1024):\n        f.write(b'x' * (1 << 20))\n"
    result = runner.run(code, limits=SandboxLimits(timeout_s=5.0, max_file_bytes=8 << 20))
    assert result.status == "file_limit"


def test_endless_output_is_cut_at_the_output_limit(runner: Runner):
    result = runner.run("while True:\n    print('x' * 1000)", limits=SandboxLimits(max_output_bytes=1 << 20))
    assert result.status == "output_limit"
    assert len(result.stdout) <= 1 << 20


def test_files_under_home_cannot_be_deleted(runner: Runner):
    if not runner.isolation().get("filesystem"):
        pytest.skip("no read-only filesystem on this machine (needs root and mount namespaces)")
    home = Path.home()
    folder = Path(tempfile.mkdtemp(prefix="pyperf-victim-", dir=home))
    try:
        victim = folder / "precious.txt"
        victim.write_text("keep me")
        result = runner.run(f"import shutil\nshutil.rmtree({str(folder)!r})")
        # read-only, or not there at all where the sandbox's root holds only what Python needs
        assert result.status == "error" and ("Read-only file system" in result.reason
                                             or "No such file or directory" in result.reason)
        assert victim.read_text() == "keep me"
        # what the program believes is home is its own scratch folder
        result = runner.run("import os, shutil\nshutil.rmtree(os.path.expanduser('~'))\nprint('ok')")
        assert result.stdout == b"ok\n"
        assert victim.read_text() == "keep me"
        # /tmp is shared with the host, so it is read-only too; TMPDIR points into the scratch folder
        result = runner.run("import tempfile\nopen('/tmp/pyperf-probe', 'w')")
        assert "Read-only file system" in result.reason
        assert runner.run("import tempfile\nprint(tempfile.mkstemp()[1] != '')").stdout == b"True\n"
    finally:
        shutil.rmtree(folder)


def test_no_network(runner: Runner):
    if not runner.isolation().get("network"):
        pytest.skip("no network namespace on this machine (needs root)")
    code = "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=2)"
    result = runner.run(code)
    assert result.status == "error"
    # refused by seccomp (no socket() at all), else by the empty network namespace
    assert any(why in result.reason for why in ("Permission denied", "unreachable", "refused"))


def test_non_utf8_program_text(runner: Runner):
    result = runner.run("print('\udcff')")
    assert result.status == "error" and "UTF-8" in result.reason


def test_subprocess_mode_runs_a_fresh_interpreter():
    with Runner(mode="subprocess", jobs=1) as fresh, Runner(mode="zygote", jobs=1) as warm:
        code = "import sys\nprint(sys.stdin.read().upper())"
        a, b = fresh.run(code, b"hi"), warm.run(code, b"hi")
        assert a.stdout == b.stdout == b"HI\n"
        # start-up is in the subprocess time and not in the zygote's: compare side by side
        fresh_times = sorted(fresh.run("pass").wall_s for _ in range(5))
        warm_times = sorted(warm.run("pass").wall_s for _ in range(5))
        assert fresh_times[2] > 2 * warm_times[2]


def test_parallel_workers_are_pinned_to_distinct_cpus():
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("one usable CPU")
    with Runner(jobs=2) as pool:
        seen = set()
        with pool.worker() as first, pool.worker() as second:
            for worker in (first, second):
                out = worker.run("import os\nprint(sorted(os.sched_getaffinity(0)))").stdout
                seen.add(out)
        assert len(seen) == 2


def test_a_visible_path_is_readable_and_read_only(tmp_path):
    from bench.core.runner import Runner

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "data.txt").write_text("hello from the workspace")
    (tmp_path / "other").write_text("beside the workspace: not shown")
    for folder in (tmp_path, workspace):  # as root the program runs as nobody
        folder.chmod(0o755)
    (workspace / "data.txt").chmod(0o644)
    program = (f"import os\nprint(open({str(workspace / 'data.txt')!r}).read())\n"
               f"try:\n    open({str(workspace / 'new.txt')!r}, 'w')\nexcept OSError as e:\n    print('refused')\n")
    with Runner(jobs=1, visible_paths=[workspace]) as runner:
        result = runner.run(program)
        hidden = runner.run(f"import os\nprint(os.path.exists({str(tmp_path / 'other')!r}))\n")
    assert result.ok, result.reason + result.stderr.decode()
    assert result.stdout.decode().split("\n")[:2] == ["hello from the workspace", "refused"]
    assert not (workspace / "new.txt").exists()
    if result.isolation.get("pid_namespace"):
        assert result.isolation["visible_paths"] == str(workspace.resolve())
        assert hidden.stdout.decode().strip() == "False"


def test_other_platforms_refuse_to_run_unprotected(monkeypatch):
    from bench.core.runner import Runner

    monkeypatch.setattr("sys.platform", "darwin")
    monkeypatch.delattr("os.sched_getaffinity")
    with Runner(jobs=1) as runner:
        result = runner.run("open('/tmp/pwned', 'w')\n")
    assert result.status == "sandbox_error"
    assert "need Linux" in result.reason and "nothing is run" in result.reason
    assert result.isolation["filesystem"] is False and result.isolation["platform"] == "darwin"
