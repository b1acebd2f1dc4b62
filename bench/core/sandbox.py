"""What a sandboxed run may use and what it reports back.

The limits travel to the zygote (``bench/_zygote.py``) as plain JSON; the result comes back as a
``RunResult``. Everything here is data: the mechanics live in ``bench.core.runner`` and the zygote.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

RunStatus = Literal["ok", "error", "timeout", "memory", "output_limit", "file_limit", "signal", "sandbox_error"]

# Numeric libraries start one thread per core at import; a single thread keeps timings comparable
# and keeps the address-space limit from being spent on thread stacks.
_SINGLE_THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed run.

    ``memory_bytes`` bounds each process's address space and the run's processes' total resident
    memory; ``max_processes`` the processes of a run; ``scratch_bytes`` its working folder.
    """

    timeout_s: float = 10.0
    memory_bytes: int = 2 << 30
    max_processes: int = 32
    max_file_bytes: int = 64 << 20
    max_output_bytes: int = 32 << 20
    scratch_bytes: int = 256 << 20
    max_open_files: int = 256

    def to_json(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass
class RunResult:
    """How one run of a program on one input ended.

    ``wall_s`` and ``cpu_s`` cover the program's own work: compile, imports, execution, waiting for
    its threads and flushing its output, from a warm interpreter (the interpreter's start-up is not
    included in ``zygote`` mode, and is in ``subprocess`` mode). Both are measured outside the program,
    by the process that watches the run: wall time on its clock, CPU time of every process of the run
    (forked children included) from its RUSAGE_CHILDREN, so nothing the program does changes them.
    ``isolation`` says which protections took effect (see ``bench.core.isolation``).
    """

    status: RunStatus
    exit_code: int | None
    stdout: bytes
    stderr: bytes
    wall_s: float
    cpu_s: float
    max_rss_bytes: int
    reason: str = ""
    isolation: dict[str, bool | str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def stdout_text(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")


def scrubbed_environment() -> dict[str, str]:
    """The environment a sandboxed program sees: nothing of the caller's but the interpreter's needs."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    # A virtual environment is found through the interpreter's path, not through VIRTUAL_ENV,
    # so nothing of the caller's environment needs to pass through.
    env.update(_SINGLE_THREAD_ENV)
    return env
