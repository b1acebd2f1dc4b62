"""The project's one runner: untrusted Python programs, sandboxed, timed from a warm interpreter.

``Runner`` keeps one zygote per worker (``bench/_zygote.py``), each pinned to its own CPU where the
machine allows it, so parallel runs do not share a core. Every run forks a fresh child of a zygote;
``mode="subprocess"`` makes that child exec a fresh interpreter instead (pie-perf style, start-up
included), which is how the fast mode is checked against the classic one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Literal

from bench.core.sandbox import RunResult, SandboxLimits, scrubbed_environment

RunMode = Literal["zygote", "subprocess"]

_ZYGOTE_SCRIPT = Path(__file__).with_name("_zygote.py")
_STDIN_ALLOWANCE = 256 << 20
_PROTOCOL_SLACK_S = 15.0  # how long past a run's own time limit the zygote may take to answer
log = logging.getLogger(__name__)


# The zygote's isolation (namespaces, seccomp, Landlock, prctl, /proc) is Linux's: elsewhere nothing would protect
# the host, so untrusted code is refused rather than run unprotected.
UNSUPPORTED_PLATFORM = ("sandbox_error: sandboxed runs need Linux; on {} neither the filesystem, the network nor "
                        "the processes would be protected, so nothing is run")


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the program): the zygote died or could not start."""


class _PidsCgroup:
    """A pids cgroup that bounds how many processes one worker's runs may have (fork bombs)."""

    def __init__(self, name: str, max_processes: int) -> None:
        self.path: Path | None = None
        for root in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
            if not (root / "cgroup.procs").exists() or (
                root == Path("/sys/fs/cgroup") and "pids" not in _read(root / "cgroup.controllers")
            ):
                continue
            try:
                path = root / name
                path.mkdir(exist_ok=True)
                # +1: the zygote itself lives in the group.
                (path / "pids.max").write_text(str(max_processes + 1))
                self.path = path
                return
            except OSError as exc:
                log.debug("no pids cgroup under %s: %s", root, exc)

    def remove(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.rmdir()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


class Zygote:
    """One warm, sandboxed interpreter that runs programs one at a time."""

    def __init__(self, limits: SandboxLimits, cpu: int | None = None, isolate: bool = True,
                 visible_paths: Sequence[str | Path] = (), python: str | None = None) -> None:
        self.limits = limits
        # The interpreter programs run under (the user's, whose packages they import); the zygote is
        # standard-library only and keeps that interpreter's own prefixes visible in the sandbox.
        self.python = python or sys.executable
        self.cpu = cpu
        self.isolate = isolate
        # Host folders shown read-only inside the sandbox at their own paths (a workspace whose code is run).
        self.visible_paths = [str(Path(p).resolve()) for p in visible_paths]
        self.isolation: dict[str, bool | str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._cgroup: _PidsCgroup | None = None
        self._scratch: str | None = None
        self._shut_down = False

    def start(self) -> None:
        self._scratch = tempfile.mkdtemp(prefix="pyperf-sandbox-")
        os.chmod(self._scratch, 0o1777)
        name = f"pyperf-{os.getpid()}-{id(self):x}"
        self._cgroup = _PidsCgroup(name, self.limits.max_processes) if os.geteuid() == 0 else None
        file_bytes = max(self.limits.max_file_bytes, self.limits.max_output_bytes)
        config = {
            "cpu": self.cpu,
            "isolate": self.isolate,
            "visible_paths": self.visible_paths,
            "scratch": self._scratch,
            # inputs and outputs of one run at a time: stdin, and stdout/stderr up to the file-size limit
            "io_bytes": 2 * file_bytes + _STDIN_ALLOWANCE,
            "pids_cgroup": None,
        }
        if self._cgroup is not None and self._cgroup.path is not None:
            config["pids_cgroup"] = str(self._cgroup.path / "cgroup.procs")  # the zygote moves itself in
        self._process = subprocess.Popen(
            [self.python, "-I", str(_ZYGOTE_SCRIPT), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=scrubbed_environment(),
            cwd=self._scratch,
            start_new_session=True,  # a Ctrl-C in the terminal is the caller's to handle, not the zygote's
        )
        hello = self._read_line(timeout_s=30.0)
        self.isolation = hello["isolation"]
        # Root is exempt from RLIMIT_NPROC; an isolated program started by root runs as nobody.
        exempt = os.geteuid() == 0 and not self.isolate
        self.isolation["process_limit"] = (
            "pids cgroup" if config["pids_cgroup"] else "none" if exempt else "RLIMIT_NPROC")

    def run(self, code: str | bytes, stdin: bytes = b"", limits: SandboxLimits | None = None,
            mode: RunMode = "zygote") -> RunResult:
        if self._shut_down:
            return RunResult("sandbox_error", None, b"", b"", 0.0, 0.0, 0, "sandbox_error: the runner was closed")
        if not sys.platform.startswith("linux"):
            return RunResult("sandbox_error", None, b"", b"", 0.0, 0.0, 0, UNSUPPORTED_PLATFORM.format(sys.platform),
                             {"filesystem": False, "network": False, "pid_namespace": False, "platform": sys.platform})
        if self._process is None or self._process.poll() is not None:
            self.close()
            self.start()
        limits = limits or self.limits
        try:
            code_bytes = code.encode("utf-8") if isinstance(code, str) else code
        except UnicodeEncodeError as exc:
            return RunResult("error", None, b"", b"", 0.0, 0.0, 0, f"the program is not valid UTF-8 text: {exc}",
                             dict(self.isolation))
        request = {
            "mode": mode,
            "limits": limits.to_json(),
            "python": self.python,
            "env": scrubbed_environment(),
            "code_len": len(code_bytes),
            "stdin_len": len(stdin),
        }
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n" + code_bytes + stdin)
            self._process.stdin.flush()
            header = self._read_line(timeout_s=limits.timeout_s + _PROTOCOL_SLACK_S)
            stdout = self._read_exact(header["stdout_len"])
            stderr = self._read_exact(header["stderr_len"])
        except (OSError, SandboxError, ValueError) as exc:
            self.close()  # the next run starts a fresh zygote
            return RunResult("sandbox_error", None, b"", b"", 0.0, 0.0, 0, f"sandbox failed: {exc}",
                             dict(self.isolation))
        return RunResult(
            status=header["status"], exit_code=header["exit_code"], stdout=stdout, stderr=stderr,
            wall_s=header["wall_s"], cpu_s=header["cpu_s"], max_rss_bytes=header["max_rss_bytes"],
            reason=header["reason"], isolation=dict(self.isolation),
        )

    def _read_line(self, timeout_s: float) -> dict:
        stream = self._stdout()
        line = _with_timeout(stream.readline, timeout_s, self._kill)
        if not line:
            raise SandboxError("the sandbox zygote exited unexpectedly")
        return json.loads(line)

    def _read_exact(self, n: int) -> bytes:
        data = self._stdout().read(n)
        if len(data) != n:
            raise SandboxError("the sandbox zygote sent a truncated answer")
        return data

    def _stdout(self) -> IO[bytes]:
        assert self._process is not None and self._process.stdout is not None
        return self._process.stdout

    def _kill(self) -> None:
        if self._process is not None:
            with contextlib.suppress(OSError):
                os.killpg(self._process.pid, 9)

    def shutdown(self) -> None:
        """Stop for good: runs asked for afterwards fail at once instead of restarting the zygote."""
        self._shut_down = True
        self.close()

    def close(self) -> None:
        if self._process is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()  # type: ignore[union-attr]
            try:
                self._process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._kill()
                self._process.wait()
            self._process.stdout.close()  # type: ignore[union-attr]
            self._process = None
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def _with_timeout(read, timeout_s: float, on_timeout) -> bytes:
    """Call a blocking read; if it takes longer than ``timeout_s``, run ``on_timeout`` to unblock it."""
    timer = threading.Timer(timeout_s, on_timeout)
    timer.start()
    try:
        return read()
    finally:
        timer.cancel()


def usable_cpus() -> list[int]:
    if not hasattr(os, "sched_getaffinity"):  # not Linux: the runs are refused anyway (UNSUPPORTED_PLATFORM)
        return list(range(os.cpu_count() or 1))
    return sorted(os.sched_getaffinity(0))


class Runner:
    """A pool of zygotes; ``run`` takes any free one, ``worker()`` holds one for a series of runs.

    Holding one worker for all the trials of the programs being compared keeps them on the same CPU.
    """

    def __init__(self, mode: RunMode = "zygote", jobs: int | None = None,
                 limits: SandboxLimits | None = None, isolate: bool = True,
                 visible_paths: Sequence[str | Path] = (), python: str | None = None) -> None:
        self.mode = mode
        self.python = python or sys.executable  # the interpreter every zygote (and so every program) runs under
        self.limits = limits or SandboxLimits()
        cpus = usable_cpus()
        self.jobs = max(1, jobs or len(cpus))
        # Pin only when each worker gets a CPU of its own; otherwise let the scheduler spread them.
        pins: list[int | None] = list(cpus) if self.jobs <= len(cpus) else [None] * self.jobs
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._workers = [Worker(Zygote(self.limits, pins[i], isolate, visible_paths, self.python), mode)
                         for i in range(self.jobs)]
        for worker in self._workers:
            self._idle.put(worker)

    @contextlib.contextmanager
    def worker(self) -> Iterator[Worker]:
        worker = self._idle.get()
        try:
            yield worker
        finally:
            self._idle.put(worker)

    def run(self, code: str | bytes, stdin: bytes = b"", limits: SandboxLimits | None = None) -> RunResult:
        with self.worker() as worker:
            return worker.run(code, stdin, limits)

    def isolation(self) -> dict[str, bool | str]:
        """What isolation the sandbox achieves on this machine (starts one worker if needed)."""
        with self.worker() as worker:
            return worker.isolation()

    def close(self) -> None:
        for worker in self._workers:
            worker.zygote.shutdown()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Worker:
    """One zygote and the run mode it serves."""

    def __init__(self, zygote: Zygote, mode: RunMode) -> None:
        self.zygote = zygote
        self.mode = mode

    def run(self, code: str | bytes, stdin: bytes = b"", limits: SandboxLimits | None = None) -> RunResult:
        return self.zygote.run(code, stdin, limits, self.mode)

    def isolation(self) -> dict[str, bool | str]:
        if not self.zygote.isolation:
            self.zygote.start()
        return dict(self.zygote.isolation)
