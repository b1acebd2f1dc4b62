"""Namespaces, a minimal root, dropped privileges and Landlock for the zygote (``_zygote.py``).

Standard library only (``ctypes``), loaded by the zygote by path. The pieces, strongest first:

- ``enter_namespaces``: private mount, network, IPC and PID namespaces; for an ordinary user inside an
  unprivileged user namespace in which the user keeps its own (non-zero) uid, so a program that drops
  the namespace's capabilities is an ordinary user there too.
- ``pivot_to_minimal_root``: the zygote's root becomes a read-only tmpfs holding only what Python
  needs (``/usr``, ``/lib*``, ``/etc``, the interpreter's prefixes, a few device nodes). The caller's
  folders, the tests folder and the expected outputs do not exist inside.
- ``mount_run_filesystems`` (per run, in the run's own mount namespace): a fresh ``/proc`` for the run's
  PID namespace, and fresh tmpfs on ``/sandbox`` (the working folder) and ``/dev/shm``, gone when the
  run's last process exits.
- ``drop_privileges``: root runs the program as ``nobody``; every capability and the bounding set are
  dropped.
- ``restrict_with_landlock``: writes only under the working folder, no TCP, no signals or abstract
  sockets outside the run (the parts the running kernel's Landlock ABI supports).
"""

from __future__ import annotations

import ctypes
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
_KEPT_MOUNT_FLAGS = 0x2 | 0x4 | 0x8 | 0x400 | 0x800 | 0x1000000  # nosuid nodev noexec noatime nodiratime relatime
MNT_DETACH = 2
NOBODY = 65534
RUN_DIR = "/sandbox"
WORK_DIR = RUN_DIR + "/work"  # a folder, not the mount point, so a program may delete its own home
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
_SYS_PIVOT_ROOT = 155
_SYS_CAPSET = 126
_SYS_LANDLOCK = (444, 445, 446)  # create_ruleset, add_rule, restrict_self
PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_SET_DUMPABLE = 24, 47, 4, 4

libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if v is None else v.encode() for v in (source, target, fstype, data)]
    _check(libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


def unshare(flags: int) -> None:
    _check(libc.unshare(flags), "unshare")


def enter_namespaces(as_root: bool) -> None:
    """Private mount, network, IPC and PID namespaces (the PID one for this process's next child).

    An ordinary user first gets a user namespace mapping only its own uid and gid, to themselves.
    """
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID
    if as_root:
        unshare(flags)
        return
    uid, gid = os.geteuid(), os.getegid()
    unshare(CLONE_NEWUSER | flags)
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def enter_pid_namespace(fd: int) -> None:
    """Make the namespace behind ``fd`` the one this process's next children are born in."""
    _check(libc.setns(fd, CLONE_NEWPID), "setns(pid)")


def _submounts(path: str) -> list[str]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].encode().decode("unicode_escape")
            if point == path or point.startswith(path.rstrip("/") + "/"):
                points.append(point)
    return points


def _bind_read_only(source: str, target: str) -> None:
    """Bind ``source`` (with its submounts) at ``target``, every mount of it read-only.

    The source's nosuid/nodev/noexec flags are kept: in a user namespace they are locked, and a
    remount that dropped them would be refused.
    """
    mount(source, target, None, MS_BIND | MS_REC)
    for i, point in enumerate(_submounts(target)):
        kept = os.statvfs(point).f_flag & _KEPT_MOUNT_FLAGS
        try:
            mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)
        except OSError:
            if i == 0:
                raise


def _make_path(root: str, path: str) -> str:
    target = root + path
    os.makedirs(target, mode=0o755, exist_ok=True)
    return target


def kept_paths(python_paths: list[str]) -> list[str]:
    """Host paths the minimal root shows: system folders and Python's, none inside another."""
    candidates = [p for p in SYSTEM_PATHS if os.path.lexists(p)]
    for path in python_paths:
        candidates += [os.path.abspath(path), os.path.realpath(path)]
    kept: list[str] = []
    for path in sorted(set(candidates), key=len):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def pivot_to_minimal_root(scratch: str, python_paths: list[str], io_bytes: int) -> int:
    """Make a read-only root holding only ``kept_paths``; return a descriptor of a private I/O folder.

    The I/O folder (inputs and outputs of runs) stays reachable by the zygote through the descriptor
    only: no path inside the new root leads to it.
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, f"size={io_bytes},mode=0700")
    io, root = os.path.join(scratch, "io"), os.path.join(scratch, "root")
    os.mkdir(io, 0o700)
    os.mkdir(root, 0o755)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    for folder in ("proc", RUN_DIR[1:], "tmp", "dev/shm", ".old"):
        _make_path(root, "/" + folder)
    # the host's /proc stays under the fresh one each run mounts: the kernel lets a user namespace mount
    # a proc only where one is already fully visible
    _bind_read_only("/proc", root + "/proc")
    for name in DEVICES:
        open(f"{root}/dev/{name}", "w").close()
        mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    for path in kept_paths(python_paths):
        if os.path.islink(path) and path in SYSTEM_PATHS:  # /bin -> usr/bin on merged-/usr systems
            os.symlink(os.readlink(path), root + path)
            continue
        _bind_read_only(path, _make_path(root, path))
    io_fd = os.open(io, os.O_RDONLY | os.O_DIRECTORY)
    _check(libc.syscall(_SYS_PIVOT_ROOT, root.encode(), (root + "/.old").encode()), "pivot_root")
    os.chdir("/")
    _check(libc.umount2(b"/.old", MNT_DETACH), "umount /.old")
    os.rmdir("/.old")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return io_fd


def mount_run_filesystems(scratch_bytes: int, as_root: bool) -> None:
    """In the run's new mount namespace: its own /proc, an empty working folder and /dev/shm."""
    unshare(CLONE_NEWNS)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for target in (RUN_DIR, "/dev/shm"):
        mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_bytes},mode=1777")
    os.mkdir(WORK_DIR, 0o755)
    if as_root:
        os.chown(WORK_DIR, NOBODY, NOBODY)  # the program's own, as its home would be


def drop_privileges(as_root: bool) -> None:
    """No capability left, none to regain; as root, become ``nobody`` first."""
    cap = 0
    while libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0 and cap < 64:
        cap += 1
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if as_root:
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: all empty
    _check(libc.syscall(_SYS_CAPSET, header, data), "capset")


def hide_from_the_run() -> None:
    """The process that watches a run cannot be read or traced by it (/proc/<pid>/mem, fd, environ)."""
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


# --- Landlock (Linux >= 5.13) --------------------------------------------------------------------------------------

_LL_WRITES_BY_ABI = {
    1: 0x2 | 0x10 | 0x20 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800 | 0x1000,  # write, remove, make_*
    2: 0x2000,  # refer
    3: 0x4000,  # truncate
}
_LL_NET_CONNECT_BIND_TCP = 0x1 | 0x2
_LL_SCOPE_ABSTRACT_UNIX_AND_SIGNAL = 0x1 | 0x2
_LL_RULE_PATH_BENEATH = 1
_O_PATH = 0o10000000


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The running kernel's Landlock ABI version, 0 where there is none."""
    ret = libc.syscall(_SYS_LANDLOCK[0], None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(ret, 0)


def restrict_with_landlock(writable: list[str]) -> str:
    """Allow writing only beneath ``writable``; says what was restricted ("" where Landlock is absent)."""
    abi = landlock_abi()
    if abi < 1:
        return ""
    writes = sum(bits for version, bits in _LL_WRITES_BY_ABI.items() if version <= abi)
    attr = _RulesetAttr(writes, _LL_NET_CONNECT_BIND_TCP if abi >= 4 else 0,
                        _LL_SCOPE_ABSTRACT_UNIX_AND_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = _check(libc.syscall(_SYS_LANDLOCK[0], ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)),
                     "landlock_create_ruleset")
    try:
        # writing to a device node (/dev/null) is a file write beneath /dev; nothing may be created there
        for path, access in [*((p, writes) for p in writable), ("/dev", 0x2)]:
            fd = os.open(path, _O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneath(access, fd)
                _check(libc.syscall(_SYS_LANDLOCK[1], ruleset, _LL_RULE_PATH_BENEATH, ctypes.byref(rule), 0),
                       f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        _check(libc.syscall(_SYS_LANDLOCK[2], ruleset, 0), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return f"landlock ABI {abi}: writes only in the run folder" + (", no TCP" if abi >= 4 else "") + (
        ", no signals out" if abi >= 6 else "")
