"""The warm interpreter behind ``bench.core.runner``: it forks one sandboxed, watched child per run.

Run as a script (``python -I bench/core/_zygote.py CONFIG_JSON``), never imported, and standard-library
only (``isolation.py`` and ``seccomp.py`` beside it are loaded by path): every module loaded here is one
a measured program gets for free. A program's own imports still count, the interpreter's start-up does not.

Processes, strongest isolation first (``isolation.py`` says what each piece does):
- the zygote enters private mount/network/IPC/PID namespaces (an ordinary user inside a user namespace
  of its own), pivots to a minimal read-only root and forks the server, PID 1 of its namespace: if the
  zygote dies, everything it started dies with it;
- per run the server forks a *watcher*, PID 1 of a fresh PID namespace with its own /proc, working
  folder and /dev/shm; the watcher forks the *program*, which drops every privilege (root becomes
  nobody), installs Landlock and seccomp, and tells the watcher it is ready before any of its code runs;
- the watcher times the program from outside: wall time on its own clock from "ready" to the program's
  exit, CPU time from its RUSAGE_CHILDREN once every process of the run is killed and reaped (work done
  in forked children counts), less the program's own set-up. It enforces the deadline and a watchdog on
  the run's total RSS, then exits, which ends the PID namespace: nothing outlives a run.
Without namespaces (other kernels) the watcher is a child subreaper that kills its descendants, the
working folder is a fresh folder of the scratch space, and the report says what is missing.

Protocol on stdin/stdout, one request at a time. Request: a JSON line with "mode", "limits",
"code_len", "stdin_len", then the code and stdin bytes. Response: a JSON line with the result and
"stdout_len", "stderr_len", then those bytes.
"""

import importlib.util
import json
import os
import resource
import select
import signal
import struct
import sys
import time


def _load(name: str):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_pyperf_sandbox_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


iso = _load("isolation")
seccomp = _load("seccomp")
as_main = _load("as_main")

PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
STDERR_TAIL_BYTES = 64 << 10
WATCHER_SLACK_S = 5.0  # how long past the deadline the server waits before killing a stuck watcher
SETUP_RECORD = struct.Struct("<d")  # the program's CPU seconds spent in sandbox set-up, before its code
RUN_RECORD = struct.Struct("<iddqB")  # wait status, wall s, cpu s, max rss bytes, flags
TIMED_OUT, OVER_MEMORY, SETUP_FAILED = 1, 2, 4


class Context:
    """What the zygote set up once, shared by every run."""

    def __init__(self, config: dict) -> None:
        self.config = config
        self.as_root = os.geteuid() == 0
        self.namespaces = False
        self.io_fd = -1
        self.pidns_fd = -1
        self.cgroup_procs = config.get("pids_cgroup")
        self.isolation: dict = {}


def _setup(config: dict) -> Context:
    """Apply the once-per-zygote isolation; say in ``ctx.isolation`` what took effect."""
    ctx = Context(config)
    if ctx.cgroup_procs:
        with open(ctx.cgroup_procs, "w") as f:
            f.write("0")  # this process, and so all it forks
    if config.get("cpu") is not None:
        os.sched_setaffinity(0, {config["cpu"]})
    scratch = config["scratch"]
    if config.get("isolate", True):
        try:
            iso.enter_namespaces(ctx.as_root)
            paths = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                     os.path.dirname(sys.executable), os.path.dirname(os.path.realpath(sys.executable)),
                     *config.get("visible_paths", ())]
            ctx.io_fd = iso.pivot_to_minimal_root(scratch, paths, config["io_bytes"])
            ctx.namespaces = True
        except OSError as exc:
            ctx.isolation["namespaces_error"] = str(exc)
    if not ctx.namespaces:
        os.makedirs(os.path.join(scratch, "io"), mode=0o700, exist_ok=True)
        ctx.io_fd = os.open(os.path.join(scratch, "io"), os.O_RDONLY | os.O_DIRECTORY)
    landlock = iso.landlock_abi() if config.get("isolate", True) else 0
    ctx.isolation.update({
        "filesystem": ctx.namespaces or landlock > 0,
        "network": ctx.namespaces,
        "pid_namespace": ctx.namespaces,
        "tests_hidden": ctx.namespaces,
        "visible_paths": ", ".join(config.get("visible_paths", ())) or "none",
        "privileges": ("nobody, no capabilities" if ctx.as_root else "own uid, no capabilities")
        if ctx.namespaces or ctx.as_root else "own uid",
        "seccomp": config.get("isolate", True) and seccomp.filter_program() is not None,
        "landlock": f"ABI {landlock}" if landlock else "unavailable",
        "memory_limit": "RLIMIT_AS per process + watchdog on the run's total RSS",
        "timing": "outside the program (watcher's clock, RUSAGE_CHILDREN of all its processes)",
    })
    return ctx


def _enter_server(ctx: Context) -> None:
    """With namespaces: fork the server, PID 1 of the zygote's namespace; this process only waits for it."""
    if not ctx.namespaces:
        iso.libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        return
    pid = os.fork()
    if pid == 0:
        iso.libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        ctx.pidns_fd = os.open("/proc/self/ns/pid", os.O_RDONLY)
        return
    os.close(0)
    os.close(1)
    _, status = os.waitpid(pid, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _apply_limits(limits: dict, ctx: Context) -> None:
    # No RLIMIT_CPU: once it is set, Linux reads the process CPU clock from tick samples (measured:
    # 0.0 s for a 1 ms program), which would ruin the timings. CPU time is bounded instead by the
    # watcher's deadline.
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    file_bytes = max(limits["max_file_bytes"], limits["max_output_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["max_open_files"], limits["max_open_files"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if ctx.cgroup_procs:
        return
    if ctx.namespaces and not ctx.as_root:
        # counted per user namespace: the zygote, its server, the watcher and the program are in it
        n = limits["max_processes"] + 4
    else:
        # counted over every process of the uid, so the allowance is added to what runs now
        uid = iso.NOBODY if ctx.as_root else os.getuid()
        n = limits["max_processes"] + sum(1 for p in os.listdir("/proc") if p.isdigit() and _owner(p) == uid)
    resource.setrlimit(resource.RLIMIT_NPROC, (n, n))


def _owner(pid: str) -> int:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return -1


def _program(request: dict, work: str, fds: tuple[int, int, int], ready_w: int, ctx: Context) -> None:
    """The run's program process: confine, say "ready" with the set-up's CPU time, then run the code."""
    try:
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        for fd, target in zip(fds, (0, 1, 2), strict=True):
            os.dup2(fd, target)
        os.closerange(3, ready_w)
        os.closerange(ready_w + 1, 1 << 16)
        os.chdir(work)
        env = dict(request["env"], HOME=work, TMPDIR=work)
        os.environ.clear()
        os.environ.update(env)
        _apply_limits(request["limits"], ctx)
        if ctx.config.get("isolate", True):
            if ctx.namespaces or ctx.as_root:
                iso.drop_privileges(ctx.as_root)
            iso.libc.prctl(seccomp.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # Landlock needs it without CAP_SYS_ADMIN
            # beneath the run folder, so that the program may delete its own home as it could before
            run_dir = os.path.dirname(work)
            iso.restrict_with_landlock([run_dir, "/dev/shm"] if ctx.namespaces else [run_dir])
            seccomp.install(iso.libc)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        os.write(ready_w, SETUP_RECORD.pack(usage.ru_utime + usage.ru_stime))
        os.close(ready_w)
        path = os.path.join(work, "main.py")
        if request["mode"] == "subprocess":
            os.execve(request["python"], [request["python"], "-I", path], env)
        as_main.run(path)
    except BaseException as exc:
        try:
            os.write(2, f"sandbox setup failed: {exc}\n".encode())
        finally:
            os._exit(126)


def _watch(request: dict, code: bytes, work: str, fds: tuple[int, int, int], report_w: int, ctx: Context) -> None:
    """The run's watcher: start the program, time it from outside, end every process of the run."""
    flags, status, wall, cpu, rss = 0, 0, 0.0, 0.0, 0
    try:
        iso.hide_from_the_run()
        limits = request["limits"]
        if ctx.namespaces:
            iso.mount_run_filesystems(limits["scratch_bytes"], ctx.as_root)
        else:
            iso.libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        with open(os.path.join(work, "main.py"), "wb") as f:
            f.write(code)
        os.chmod(os.path.join(work, "main.py"), 0o644)
        ready_r, ready_w = os.pipe()
        deadline = time.perf_counter() + limits["timeout_s"]
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            os.close(report_w)
            _program(request, work, fds, ready_w, ctx)
        os.close(ready_w)
        setup = os.read(ready_r, SETUP_RECORD.size)
        wall0 = time.perf_counter()
        status, flags = _wait_program(pid, deadline, limits["memory_bytes"], ctx.namespaces)
        wall = time.perf_counter() - wall0
        _end_run(ctx.namespaces)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        if len(setup) == SETUP_RECORD.size:
            cpu = usage.ru_utime + usage.ru_stime - SETUP_RECORD.unpack(setup)[0]
        else:
            flags |= SETUP_FAILED
        rss = usage.ru_maxrss * 1024
    except BaseException as exc:
        os.write(fds[2], f"sandbox setup failed: {exc}\n".encode())
        flags |= SETUP_FAILED
        _end_run(ctx.namespaces)
    os.write(report_w, RUN_RECORD.pack(status, wall, max(cpu, 0.0), rss, flags))
    os._exit(0)


def _wait_program(pid: int, deadline: float, memory_bytes: int, namespaces: bool) -> tuple[int, int]:
    """Wait for the program, reaping orphans; kill the run at the deadline or over the memory budget."""
    pidfd = os.pidfd_open(pid)
    poll = 0.01
    try:
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return 0, TIMED_OUT
            select.select([pidfd], [], [], min(poll, remaining))
            for child, status in _reap():
                if child == pid:
                    return status, 0
            if _run_rss(pid, namespaces) > memory_bytes:
                return 0, OVER_MEMORY
            poll = min(2 * poll, 0.05)
    finally:
        os.close(pidfd)


def _reap() -> list[tuple[int, int]]:
    reaped = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped.append((pid, status))


def _run_rss(program: int, namespaces: bool) -> int:
    """Resident bytes of the run's processes: all of this PID namespace, else the program's session."""
    total, me = 0, os.getpid()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me:
            continue
        try:
            if not namespaces:
                with open(f"/proc/{name}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[3]) != program:  # session id
                        continue
            with open(f"/proc/{name}/statm") as f:
                total += int(f.read().split()[1]) * resource.getpagesize()
        except (OSError, ValueError, IndexError):
            continue
    return total


def _end_run(namespaces: bool) -> None:
    """Kill and reap every process of the run (as PID 1: all of the namespace; else all descendants)."""
    me = os.getpid()
    for _ in range(1000):
        if namespaces:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        else:
            for pid in _children_of(me):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _children_of(parent: int) -> list[int]:
    children = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                    children.append(int(name))
        except (OSError, ValueError, IndexError):
            continue
    return children


def _run(ctx: Context, request: dict, code: bytes, stdin: bytes, serial: int) -> tuple[dict, bytes, bytes]:
    names = [f"{kind}-{serial}" for kind in ("stdin", "stdout", "stderr")]
    fds = tuple(os.open(n, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=ctx.io_fd) for n in names)
    os.write(fds[0], stdin)
    os.lseek(fds[0], 0, os.SEEK_SET)
    work = iso.WORK_DIR
    if not ctx.namespaces:
        work = os.path.join(ctx.config["scratch"], f"run-{serial}", "work")
        os.makedirs(work)
        os.chmod(work, 0o777)
        os.chmod(os.path.dirname(work), 0o1777)
    limits = request["limits"]
    report_r, report_w = os.pipe()
    if ctx.namespaces:
        iso.unshare(iso.CLONE_NEWPID)
    pid = os.fork()
    if pid == 0:
        os.close(report_r)
        _watch(request, code, work, fds, report_w, ctx)
    if ctx.namespaces:
        iso.enter_pid_namespace(ctx.pidns_fd)  # the next run's watcher is PID 1 of a namespace of its own
    os.close(report_w)
    pidfd = os.pidfd_open(pid)
    if not select.select([pidfd], [], [], limits["timeout_s"] + WATCHER_SLACK_S)[0]:
        os.kill(pid, signal.SIGKILL)  # a stopped or stuck watcher: its PID namespace dies with it
    os.close(pidfd)
    os.waitpid(pid, 0)
    if not ctx.namespaces:
        _end_run(False)  # descendants of a killed watcher came back to this subreaper
        _remove_tree(os.path.dirname(work))
    record = os.read(report_r, RUN_RECORD.size)
    os.close(report_r)
    stdout, out_size = _read_head(fds[1], limits["max_output_bytes"])
    stderr = _read_tail(fds[2], STDERR_TAIL_BYTES)
    for fd, name in zip(fds, names, strict=True):
        os.close(fd)
        os.unlink(name, dir_fd=ctx.io_fd)
    if len(record) != RUN_RECORD.size:
        record = RUN_RECORD.pack(0, 0.0, 0.0, 0, TIMED_OUT)
    status, wall, cpu, rss, flags = RUN_RECORD.unpack(record)
    state, exit_code, reason = _classify(status, flags, out_size, stderr, limits)
    header = {"status": state, "exit_code": exit_code, "reason": reason, "wall_s": wall, "cpu_s": cpu,
              "max_rss_bytes": rss, "stdout_len": len(stdout), "stderr_len": len(stderr)}
    return header, stdout, stderr


def _remove_tree(path: str) -> None:
    try:
        entries = list(os.scandir(path))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                os.chmod(entry.path, 0o700)
                _remove_tree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    try:
        os.rmdir(path)
    except OSError:
        pass


def _read_head(fd: int, limit: int) -> tuple[bytes, int]:
    size = os.fstat(fd).st_size
    return os.pread(fd, min(size, limit), 0), size


def _read_tail(fd: int, limit: int) -> bytes:
    size = os.fstat(fd).st_size
    return os.pread(fd, min(size, limit), max(0, size - limit))


def _classify(status: int, flags: int, out_size: int, stderr: bytes, limits: dict):
    """Map how the program ended to (status, exit_code, reason)."""
    if flags & TIMED_OUT:
        return "timeout", None, f"killed after the {limits['timeout_s']:g} s time limit"
    if flags & OVER_MEMORY:
        return "memory", None, f"the run's processes together held over {limits['memory_bytes'] >> 20} MiB"
    if flags & SETUP_FAILED:
        return "sandbox_error", None, stderr.decode(errors="replace").strip()[-300:] or "sandbox setup failed"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXFSZ:
            if out_size >= limits["max_output_bytes"]:
                return "output_limit", None, f"output exceeded {limits['max_output_bytes']} bytes"
            return "file_limit", None, f"a file exceeded {limits['max_file_bytes']} bytes"
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return "signal", None, f"killed by signal {name}"
    code = os.WEXITSTATUS(status)
    if out_size > limits["max_output_bytes"]:
        return "output_limit", code, f"output exceeded {limits['max_output_bytes']} bytes"
    if code != 0 and b"[Errno 27] File too large" in stderr[-2048:]:  # Python ignores SIGXFSZ: EFBIG
        if out_size >= limits["max_output_bytes"]:
            return "output_limit", code, f"output exceeded {limits['max_output_bytes']} bytes"
        return "file_limit", code, f"a file exceeded {limits['max_file_bytes']} bytes"
    if code != 0 and b"MemoryError" in stderr[-2048:]:
        return "memory", code, f"ran out of memory (limit {limits['memory_bytes'] >> 20} MiB)"
    if code == 126 and stderr.startswith(b"sandbox setup failed"):
        return "sandbox_error", code, stderr.decode(errors="replace").strip()
    if code != 0:
        last = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {code}"]
        return "error", code, last[0][:300]
    return "ok", 0, ""


def _read_exact(stream, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError
    return data


def _serve(config: dict) -> None:
    ctx = _setup(config)
    _enter_server(ctx)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    out.write(json.dumps({"ready": True, "isolation": ctx.isolation}).encode() + b"\n")
    out.flush()
    serial = 0
    while True:
        line = inp.readline()
        if not line:
            return
        request = json.loads(line)
        code = _read_exact(inp, request["code_len"])
        stdin = _read_exact(inp, request["stdin_len"])
        serial += 1
        header, stdout, stderr = _run(ctx, request, code, stdin, serial)
        out.write(json.dumps(header).encode() + b"\n" + stdout + stderr)
        out.flush()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
