"""A seccomp filter for sandboxed programs: no mounts, no namespaces, no tracing, no sockets to anywhere.

Standard library only (``ctypes``): the zygote loads this file by path, and every module it loads is
one a measured program gets for free. A maintained binding (``pyseccomp``) needs libseccomp and would
add its imports to every run; the filter is small enough to write as classic BPF.

What it refuses, with ``EPERM`` unless said otherwise:
- changing the filesystem view or namespaces: mount, umount2, pivot_root, chroot, the new mount API,
  setns, unshare, and clone() with any namespace flag (clone3 answers ENOSYS so libc falls back to clone);
- reaching other processes or the kernel: ptrace, process_vm_readv/writev, kcmp, keyctl, add_key,
  request_key, bpf, perf_event_open, kexec, module loading, userfaultfd, io_uring (which would run
  socket operations past this filter), open_by_handle_at;
- every socket(): a program gets AF_UNIX socketpair() (multiprocessing, asyncio) and nothing it could
  connect() to the host with;
- other system-call ABIs (x32, i386 entry on x86_64): the process is killed.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
AF_UNIX = 1
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80

_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16

# x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl).
_X86_64_DENIED = {
    "ptrace": 101, "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169,
    "pivot_root": 155, "chroot": 161, "init_module": 175, "delete_module": 176, "kexec_load": 246,
    "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272, "perf_event_open": 298,
    "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311,
    "kcmp": 312, "finit_module": 313, "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442,
}
_X86_64 = {"socket": 41, "socketpair": 53, "clone": 56, "clone3": 435}


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def _deny(nr: int, err: int) -> list[bytes]:
    return [_insn(_JEQ_K, 0, 1, nr), _insn(_RET_K, 0, 0, _RET_ERRNO | err)]


def _allow_if_arg0(nr: int, *, equals: int | None = None, lacks_bits: int | None = None) -> list[bytes]:
    """For syscall ``nr``: allow when its first argument equals ``equals`` / has none of ``lacks_bits``."""
    # equal: fall into allow, else skip to deny; with bits: one set skips allow, to deny
    test = _insn(_JEQ_K, 0, 1, equals) if equals is not None else _insn(_JSET_K, 1, 0, lacks_bits or 0)
    block = [_insn(_LD_W_ABS, 0, 0, _OFFSET_ARG0), test, _insn(_RET_K, 0, 0, _RET_ALLOW),
             _insn(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM)]
    # the syscall number is reloaded by nobody after this block: every path through it returns
    return [_insn(_JEQ_K, 0, len(block), nr), *block]


def filter_program() -> bytes | None:
    """The filter as BPF bytes for this machine, or None where the architecture is not supported."""
    if platform.machine() != "x86_64":
        return None
    code = [
        _insn(_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        _insn(_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),
        _insn(_LD_W_ABS, 0, 0, _OFFSET_NR),
        _insn(_JGE_K, 0, 1, X32_SYSCALL_BIT),
        _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),
    ]
    for nr in _X86_64_DENIED.values():
        code += _deny(nr, errno.EPERM)
    code += _deny(_X86_64["socket"], errno.EACCES)
    code += _deny(_X86_64["clone3"], errno.ENOSYS)
    code += _allow_if_arg0(_X86_64["socketpair"], equals=AF_UNIX)
    code += _allow_if_arg0(_X86_64["clone"], lacks_bits=CLONE_NAMESPACE_FLAGS)
    code.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    return b"".join(code)


def install(libc: ctypes.CDLL) -> bool:
    """Set no-new-privileges and load the filter into this process (inherited by its children).

    Returns False where the architecture has no filter here; raises OSError when the kernel refuses.
    """
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    program = filter_program()
    if program is None:
        return False
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.addressof(buffer))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_SECCOMP): {os.strerror(err)}")
    return True
