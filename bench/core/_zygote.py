"""The warm interpreter behind ``bench.core.runner``: it forks one sandboxed child per run.

Run as a script (``python -I bench/_zygote.py CONFIG_JSON``), never imported, and standard-library
only: every module loaded here is one a measured program gets for free, so the list is kept short.
A program's own imports still count, the interpreter's start-up does not.

Isolation, set up once for the zygote and inherited by every child:
- a private mount namespace in which every mount is read-only except a size-limited tmpfs on the
  zygote's scratch folder, where each run gets a fresh working directory (needs root; otherwise the
  scratch folder is an ordinary private folder);
- a private network namespace with no interfaces up (needs root);
- a pids cgroup prepared by the parent (root) or RLIMIT_NPROC (non-root) against fork bombs;
- per child: its own session (killed as a group), rlimits on CPU, address space, file size and open
  files, a scrubbed environment; the zygote is a child subreaper, so escaped grandchildren come back
  to it and are killed and reaped after each run.

Protocol on stdin/stdout, one request at a time. Request: a JSON line with "mode", "limits",
"code_len", "stdin_len", then the code and stdin bytes. Response: a JSON line with the result and
"stdout_len", "stderr_len", then those bytes.
"""

import ctypes
import io
import json
import os
import resource
import select
import signal
import struct
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_CHILD_SUBREAPER = 36

STDERR_TAIL_BYTES = 64 << 10
TIMING_RECORD = struct.Struct("<ddc")  # wall seconds, cpu seconds, outcome flag

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source, target, fstype, flags, data) -> None:
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


def _mount_points() -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            points.append(point)
    return points


def _isolate_filesystem(scratch: str, scratch_bytes: int) -> None:
    """Everything read-only but a fresh tmpfs on the scratch folder, in a mount namespace of our own.

    The tmpfs goes on the zygote's own folder, not on /tmp: the interpreter and its packages may live
    under /tmp (a checkout there), and must stay visible.
    """
    _check(_libc.unshare(CLONE_NEWNS), "unshare(mount namespace)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    for point in _mount_points():
        if point.startswith("/proc"):
            continue  # remounting proc read-only would hide nothing a program can harm
        try:
            _mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
        except OSError:
            if point == "/":
                raise
    _mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_bytes},mode=1777")


def _isolate_network() -> None:
    _check(_libc.unshare(CLONE_NEWNET), "unshare(network namespace)")


def _setup(config: dict) -> dict:
    """Apply the once-per-zygote isolation; say what took effect."""
    isolation = {"filesystem": False, "network": False}
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    if config.get("cpu") is not None:
        os.sched_setaffinity(0, {config["cpu"]})
    if config.get("isolate", True) and os.geteuid() == 0:
        try:
            _isolate_filesystem(config["scratch"], config["scratch_bytes"])
            isolation["filesystem"] = True
        except OSError as exc:
            isolation["filesystem_error"] = str(exc)
        try:
            _isolate_network()
            isolation["network"] = True
        except OSError as exc:
            isolation["network_error"] = str(exc)
    return isolation


def _read_exact(stream, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError
    return data


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


def _apply_limits(limits: dict, count_processes: bool) -> None:
    # No RLIMIT_CPU: once it is set, Linux reads the process CPU clock from tick samples (measured:
    # 0.0 s for a 1 ms program), which would ruin the timings. CPU time is bounded instead by the
    # wall-clock deadline, at which the run's whole process group and pids cgroup are killed.
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    file_bytes = max(limits["max_file_bytes"], limits["max_output_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["max_open_files"], limits["max_open_files"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if count_processes:
        # RLIMIT_NPROC counts every process of the user, so the allowance is added to what runs now.
        mine = sum(1 for p in os.listdir("/proc") if p.isdigit() and _owned_by_me(p))
        n = mine + limits["max_processes"]
        resource.setrlimit(resource.RLIMIT_NPROC, (n, n))


def _owned_by_me(pid: str) -> bool:
    try:
        return os.stat(f"/proc/{pid}").st_uid == os.getuid()
    except OSError:
        return False


def _run_in_process(path: str, timing_fd: int) -> None:
    """Run the program as ``__main__`` in this freshly forked interpreter, like ``python main.py``."""
    import types

    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)),
                                                 encoding="utf-8")
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)),
                                                   encoding="utf-8")
    sys.stderr = sys.__stderr__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(2, "w", closefd=False)),
                                                   encoding="utf-8", errors="backslashreplace",
                                                   line_buffering=True)
    sys.argv = [path]
    sys.path[0] = os.path.dirname(path)
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    flag = b"."
    exit_code = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        with open(path, "rb") as f:
            source = f.read()
        exec(compile(source, path, "exec", dont_inherit=True), module.__dict__)
    except SystemExit as exc:
        exit_code = _exit_code(exc.code)
    except MemoryError:
        flag = b"M"
        exit_code = 1
        _print_exception()
    except BaseException:
        exit_code = 1
        _print_exception()
    exit_code = _interpreter_shutdown(exit_code)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    os.write(timing_fd, TIMING_RECORD.pack(wall1 - wall0, cpu1 - cpu0, flag))
    os._exit(exit_code)


def _exit_code(code) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _print_exception() -> None:
    import traceback

    try:
        traceback.print_exc()
    except Exception:
        pass


def _interpreter_shutdown(exit_code: int) -> int:
    """What the interpreter does after ``__main__`` finishes: join threads, atexit, flush."""
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException:
            pass
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            exit_code = exit_code or 120  # what CPython exits with when the final flush fails
    return exit_code


def _child(request: dict, run_dir: str, timing_w: int, count_processes: bool) -> None:
    try:
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        work = os.path.join(run_dir, "work")
        fd_in = os.open(os.path.join(run_dir, "stdin"), os.O_RDONLY)
        fd_out = os.open(os.path.join(run_dir, "stdout"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        fd_err = os.open(os.path.join(run_dir, "stderr"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        for fd, target in ((fd_in, 0), (fd_out, 1), (fd_err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        os.closerange(3, timing_w)
        os.closerange(timing_w + 1, 1 << 16)
        os.chdir(work)
        env = dict(request["env"], HOME=work, TMPDIR=work)
        os.environ.clear()
        os.environ.update(env)
        _apply_limits(request["limits"], count_processes)
        path = os.path.join(work, "main.py")
        if request["mode"] == "subprocess":
            os.close(timing_w)
            os.execve(request["python"], [request["python"], "-I", path], env)
        _run_in_process(path, timing_w)
    except BaseException as exc:
        try:
            os.write(2, f"sandbox setup failed: {exc}\n".encode())
        finally:
            os._exit(126)


def _sweep(cgroup_procs: str | None, pgid: int) -> None:
    """Kill whatever the run left behind, then reap it."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
    me = os.getpid()
    for _ in range(100):
        survivors = []
        if cgroup_procs:
            with open(cgroup_procs) as f:
                survivors = [int(p) for p in f.read().split() if int(p) != me]
        for pid in survivors:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reaped = _reap()
        if not survivors and not reaped:
            break
        time.sleep(0.001)


def _reap() -> int:
    n = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid == 0:
            return n
        n += 1


def _wait(pid: int, timeout_s: float) -> tuple[int, resource.struct_rusage, bool]:
    pidfd = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([pidfd], [], [], timeout_s)
    finally:
        os.close(pidfd)
    timed_out = not ready
    if timed_out:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    return status, usage, timed_out


def _read_file(path: str, limit: int) -> tuple[bytes, int]:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            return f.read(limit), size
    except OSError:
        return b"", 0


def _read_tail(path: str, limit: int) -> bytes:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - limit))
            return f.read()
    except OSError:
        return b""


def _classify(status: int, flag: bytes, timed_out: bool, out_size: int, stderr: bytes, limits: dict):
    """Map how the child ended to (status, exit_code, reason)."""
    if timed_out:
        return "timeout", None, f"killed after the {limits['timeout_s']:g} s time limit"
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
    if flag == b"M" or (code != 0 and b"MemoryError" in stderr[-2048:]):
        return "memory", code, f"ran out of memory (limit {limits['memory_bytes'] >> 20} MiB)"
    if code == 126 and stderr.startswith(b"sandbox setup failed"):
        return "sandbox_error", code, stderr.decode(errors="replace").strip()
    if code != 0:
        last = stderr.decode(errors="replace").strip().splitlines()[-1:] or [f"exit status {code}"]
        return "error", code, last[0][:300]
    return "ok", 0, ""


def _serve(config: dict) -> None:
    isolation = _setup(config)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    out.write(json.dumps({"ready": True, "isolation": isolation}).encode() + b"\n")
    out.flush()
    cgroup_procs = config.get("pids_cgroup")
    count_processes = not cgroup_procs and os.geteuid() != 0
    serial = 0
    while True:
        line = inp.readline()
        if not line:
            return
        request = json.loads(line)
        code = _read_exact(inp, request["code_len"])
        stdin = _read_exact(inp, request["stdin_len"])
        serial += 1
        run_dir = os.path.join(config["scratch"], f"run-{os.getpid()}-{serial}")
        work = os.path.join(run_dir, "work")
        os.makedirs(work, mode=0o777)
        with open(os.path.join(work, "main.py"), "wb") as f:
            f.write(code)
        with open(os.path.join(run_dir, "stdin"), "wb") as f:
            f.write(stdin)
        limits = request["limits"]
        timing_r, timing_w = os.pipe()
        os.set_blocking(timing_r, False)
        wall0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.close(timing_r)
            _child(request, run_dir, timing_w, count_processes)
        os.close(timing_w)
        status, usage, timed_out = _wait(pid, limits["timeout_s"])
        outside_wall = time.perf_counter() - wall0
        _sweep(cgroup_procs, pid)
        try:
            record = os.read(timing_r, TIMING_RECORD.size)
        except BlockingIOError:
            record = b""
        os.close(timing_r)
        stdout, out_size = _read_file(os.path.join(run_dir, "stdout"), limits["max_output_bytes"])
        stderr = _read_tail(os.path.join(run_dir, "stderr"), STDERR_TAIL_BYTES)
        _remove_tree(run_dir)
        if len(record) == TIMING_RECORD.size:
            wall, cpu, flag = TIMING_RECORD.unpack(record)
        else:  # exec'd interpreter or os._exit: fall back to what the parent saw
            wall, cpu, flag = outside_wall, usage.ru_utime + usage.ru_stime, b"."
        state, exit_code, reason = _classify(status, flag, timed_out, out_size, stderr, limits)
        header = {
            "status": state, "exit_code": exit_code, "reason": reason,
            "wall_s": wall, "cpu_s": cpu, "max_rss_bytes": usage.ru_maxrss * 1024,
            "stdout_len": len(stdout), "stderr_len": len(stderr),
        }
        out.write(json.dumps(header).encode() + b"\n" + stdout + stderr)
        out.flush()


if __name__ == "__main__":
    _serve(json.loads(sys.argv[1]))
