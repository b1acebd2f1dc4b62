"""Worker processes of the server: started with ``spawn``, kept off the LSP stream, killed with their tree.

A ``fork`` of the running server would copy the stdin reader's lock and deadlock pygls, so every worker is
spawned. The server points file descriptor 1 at stderr before it starts any (``__main__``), and each worker
does the same again first thing, so nothing a worker, its libraries or its sandbox children print can reach
the client. Workers ask the kernel to kill them when the server dies, and the server kills a worker's whole
process tree (the sandbox's zygotes and their runs included) when a job is cancelled or the server exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1


def detach_from_lsp_stream() -> None:
    """In a worker: whatever is written to stdout goes to stderr, and stdin reads nothing."""
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)


def die_with_parent() -> None:
    """In a worker: exit when the server process goes away, however it went (SIGKILL included)."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:  # where prctl is unavailable
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: fields after the last ')' are fixed.
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (Linux /proc; empty elsewhere)."""
    if not os.path.isdir("/proc"):
        return []
    children = _children_map()
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill_tree(pid: int) -> None:
    """Kill ``pid`` and everything below it: frozen first, so that nothing forks away while it is killed."""
    seen: set[int] = set()
    for _ in range(5):
        tree = [p for p in [pid, *descendants(pid)] if p not in seen]
        if not tree:
            break
        for p in tree:
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGSTOP)
        seen.update(tree)
    for p in seen:
        with contextlib.suppress(OSError):
            os.kill(p, signal.SIGKILL)
