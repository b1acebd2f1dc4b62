"""The sandbox side of verifying a function of a package: capture its calls, replay them, run its tests.

Standard library only and self-contained: ``optimizer.project_runs`` sends this file's text as the program,
with a call of ``main(overlay)`` appended, and a pickled request on stdin. The request carries a snapshot of
the workspace's files (written into the run's scratch folder: the user's own files are never touched), the
target module's dotted name and file, the target's qualified name, whether pytest may load every plugin
installed beside it (``plugin_autoload``; off: only those the project names), and what to do:

- ``capture``: run the tests under pytest, watching the target's calls (``sys.monitoring``, else a profiler),
  and pickle, for each call, the arguments (``self`` included) at call time and which tests made it;
  unpicklable calls are counted;
- ``record``: replay the captured calls and pickle each outcome (value or exception type, arguments after);
- ``check``: replay them and compare each outcome with an expected one (``deep_difference``);
- ``time``: replay them ``repeat`` times and print only a count, for timing;
- ``tests``: run the given tests and report which failed.

``overlay``, when given, is a candidate's source for the target module: an import hook serves it under the
module's real name, so relative and absolute imports of the package keep working.
"""

import base64
import cmath
import contextlib
import importlib.abc
import importlib.util
import io
import itertools
import json
import math
import os
import pickle
import sys
import types
from collections.abc import Iterator

MARKER = "@@pyperf@@"
MAX_CALLS = 200
MAX_PICKLE_BYTES = 1 << 20  # one call's arguments
MAX_CAPTURED_BYTES = 32 << 20  # all calls': they travel back to the server and into every replay
FLOAT_TOLERANCE = 1e-9
RESUMABLE_CODE = 0x20 | 0x80 | 0x200  # CO_GENERATOR, CO_COROUTINE, CO_ASYNC_GENERATOR
MAX_ITERATED = 100_000  # items of a returned iterator compared and timed: an endless one is cut there


# --- the deep comparator -------------------------------------------------------------------------------------------

def deep_difference(actual, expected, where="result", seen=None):
    """Where ``actual`` differs from ``expected`` (e.g. "result[2].total: 3.0 != 4.0"), or None when alike.

    Alike means: the same type, and floats within a relative 1e-9 (NaN equal to NaN); sequences, mappings and
    sets item by item; numpy arrays and pandas frames by shape, dtype and values; other objects by ``vars()``
    and ``__slots__``, falling back to ``==``.
    """
    seen = set() if seen is None else seen
    if type(actual) is not type(expected):
        return f"{where}: {type(actual).__name__} instead of {type(expected).__name__}"
    if isinstance(actual, float | complex):
        if _close(actual, expected):
            return None
        return f"{where}: {actual!r} != {expected!r}"
    if isinstance(actual, int | str | bytes | bool | type(None) | range | type):
        return None if actual == expected else f"{where}: {_short(actual)} != {_short(expected)}"
    key = (id(actual), id(expected))
    if key in seen:
        return None
    seen.add(key)
    if isinstance(actual, list | tuple):
        if len(actual) != len(expected):
            return f"{where}: {len(actual)} items instead of {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            difference = deep_difference(a, e, f"{where}[{i}]", seen)
            if difference:
                return difference
        return None
    if isinstance(actual, dict):
        if set(actual) != set(expected):
            return f"{where}: keys {_short(sorted(map(repr, actual)))} != {_short(sorted(map(repr, expected)))}"
        for k in expected:
            difference = deep_difference(actual[k], expected[k], f"{where}[{k!r}]", seen)
            if difference:
                return difference
        return None
    if isinstance(actual, set | frozenset):
        return None if actual == expected else f"{where}: {_short(actual)} != {_short(expected)}"
    return _object_difference(actual, expected, where, seen)


def _object_difference(actual, expected, where, seen):
    module = type(actual).__module__.split(".")[0]
    if module in ("numpy", "pandas"):
        return _array_difference(actual, expected, where, module)
    state_a, state_e = _state(actual), _state(expected)
    if state_a is not None and state_e is not None and (state_a or state_e):
        if set(state_a) != set(state_e):
            return f"{where}: attributes {sorted(state_a)} != {sorted(state_e)}"
        for name in state_e:
            difference = deep_difference(state_a[name], state_e[name], f"{where}.{name}", seen)
            if difference:
                return difference
        return None
    try:
        same = actual == expected
        if isinstance(same, bool):
            return None if same else f"{where}: {_short(actual)} != {_short(expected)}"
    except Exception:
        pass
    return None if repr(actual) == repr(expected) else f"{where}: {_short(actual)} != {_short(expected)}"


def _array_difference(actual, expected, where, module):
    if module == "pandas":
        return None if actual.equals(expected) else f"{where}: the {type(actual).__name__}s differ"
    import numpy

    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        return f"{where}: shape/dtype {actual.shape}/{actual.dtype} != {expected.shape}/{expected.dtype}"
    if numpy.issubdtype(actual.dtype, numpy.inexact):
        same = numpy.allclose(actual, expected, rtol=FLOAT_TOLERANCE, atol=0, equal_nan=True)
    else:
        same = numpy.array_equal(actual, expected)
    return None if same else f"{where}: array values differ"


def _state(value):
    """An object's attributes (``vars()`` and ``__slots__``), or None when it has neither."""
    state = dict(vars(value)) if hasattr(value, "__dict__") and not isinstance(value, types.ModuleType) else None
    slots = [s for cls in type(value).__mro__ for s in getattr(cls, "__slots__", ()) if s not in ("__dict__",)]
    if slots:
        state = state or {}
        for name in slots:
            if hasattr(value, name):
                state[name] = getattr(value, name)
    return state


def _close(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if isinstance(a, complex):
        return cmath.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=1e-12) or a == b
    return a == b or math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=1e-12)


def _short(value, limit=60):
    try:
        text = repr(value)
    except Exception:
        text = "<>"
    if text.startswith("<") and " at 0x" in text:  # the default repr: its address says nothing to the user
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- the workspace copy and the candidate's overlay ----------------------------------------------------------------

class _Overlay(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the target module from a string under its real dotted name (a candidate's source)."""

    def __init__(self, name, path, source):
        self.name, self.path, self.source = name, path, source

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        package = [os.path.dirname(self.path)] if os.path.basename(self.path) == "__init__.py" else None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=self,
                                                      submodule_search_locations=package)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(self.source, self.path, "exec", dont_inherit=True), module.__dict__)


def _install(request, overlay):
    """Write the snapshot into the scratch folder; put its import roots on the path; install the overlay."""
    root = os.path.abspath("workspace")
    for relative, text in request["files"].items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    for import_root in reversed(request["import_roots"]):
        sys.path.insert(0, os.path.join(root, import_root))
    # Arguments captured in a test may be objects of classes its file defines: pytest imported that file as a
    # top-level module from its own folder, so replaying them needs that folder too (last, shadowing nothing).
    for relative in request["files"]:
        name = os.path.basename(relative)
        folder = os.path.join(root, os.path.dirname(relative))
        if name.endswith(".py") and (name.startswith("test") or name == "conftest.py") and folder not in sys.path:
            sys.path.append(folder)
    os.chdir(root)
    target = os.path.join(root, request["file"])
    if overlay is not None:
        sys.meta_path.insert(0, _Overlay(request["module"], target, overlay))
    return target


def _target_function(request):
    """The function object of the target (a method's underlying function, unwrapped from class/staticmethod)."""
    value = importlib.import_module(request["module"])
    parts = request["qualname"].split(".")
    for part in parts[:-1]:
        value = getattr(value, part)
    raw = vars(value).get(parts[-1]) if isinstance(value, type) else getattr(value, parts[-1])
    return getattr(raw, "__func__", raw)


# --- capture -------------------------------------------------------------------------------------------------------

def _watch_calls(qualname, filename, on_call):
    """(start, stop): while started, each call of the function ``qualname`` of ``filename`` hands its frame, at
    call time, to ``on_call``.

    ``sys.monitoring`` (3.12+) stops firing for every other function after its first start (``DISABLE``), so the
    tests run at nearly full speed; 3.11, or a monitoring tool slot taken by the tests' own tooling, falls back
    to a profiler, which Python calls on every call and return (the test run takes ~4x as long).
    """
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None and monitoring.get_tool(monitoring.PROFILER_ID) is None:
        tool, start_event = monitoring.PROFILER_ID, monitoring.events.PY_START
        monitoring.use_tool_id(tool, "pyperf capture")

        def started(code, offset):
            if code.co_qualname != qualname or code.co_filename != filename:
                return monitoring.DISABLE
            on_call(sys._getframe(1))  # the starting function's frame: the callback runs on top of it
            return None

        monitoring.register_callback(tool, start_event, started)
        return (lambda: monitoring.set_events(tool, start_event)), (lambda: monitoring.set_events(tool, 0))

    def profile(frame, event, arg):
        code = frame.f_code
        if event != "call" or code.co_qualname != qualname or code.co_filename != filename:
            return
        # The profiler also reports each resumption of a generator or coroutine, whose arguments may have been
        # rebound since: its RESUME says where it resumes (0: the start; 1-3: after a yield or an await).
        if code.co_flags & RESUMABLE_CODE and code.co_code[frame.f_lasti + 1] & 3:
            return
        on_call(frame)

    return (lambda: sys.setprofile(profile)), (lambda: sys.setprofile(None))


def _capture(request, target):
    import pytest

    calls, seen = [], {}
    state = {"test": None, "skipped": 0, "failed": [], "passed": 0, "errors": [], "bytes": 0}

    def record(frame):
        code = frame.f_code
        names = code.co_varnames
        positional = [frame.f_locals[n] for n in names[: code.co_argcount]]
        keywords = {n: frame.f_locals[n] for n in names[code.co_argcount: code.co_argcount + code.co_kwonlyargcount]}
        extra = code.co_argcount + code.co_kwonlyargcount
        if code.co_flags & 0x04:
            positional += list(frame.f_locals[names[extra]])
            extra += 1
        if code.co_flags & 0x08:
            keywords.update(frame.f_locals[names[extra]])
        try:
            blob = pickle.dumps((tuple(positional), keywords))
        except Exception:
            state["skipped"] += 1
            return
        if len(blob) > MAX_PICKLE_BYTES:
            state["skipped"] += 1
        elif blob in seen:
            seen[blob].add(state["test"])
        elif len(calls) < MAX_CALLS and state["bytes"] + len(blob) <= MAX_CAPTURED_BYTES:
            seen[blob] = {state["test"]}
            calls.append(blob)
            state["bytes"] += len(blob)

    class Recorder:
        watch = None  # chosen at the first test, once conftest files and plugins have taken what they need

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_protocol(self, item, nextitem):
            # Watching only while a test runs keeps collection and plugin loading at full speed.
            if self.watch is None:
                self.watch = _watch_calls(request["qualname"], target, record)
            start_watching, stop_watching = self.watch
            state["test"] = item.nodeid
            start_watching()
            try:
                yield
            finally:
                stop_watching()
                state["test"] = None

        def pytest_runtest_logreport(self, report):
            if report.failed:
                state["failed"].append(report.nodeid)
            elif report.when == "call" and report.passed:
                state["passed"] += 1

        def pytest_collectreport(self, report):
            if report.failed:
                lines = [line for line in str(report.longrepr).splitlines() if line.strip()]
                state["errors"].append(f"{report.nodeid}: {lines[-1].lstrip('E ').strip() if lines else 'error'}")

    code = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:randomly", *request["pytest_args"]],
                       plugins=[Recorder()])
    return {"calls": [base64.b64encode(c).decode() for c in calls],
            "tests": [sorted(t for t in seen[c] if t) for c in calls],
            "skipped": state["skipped"], "failed": state["failed"], "passed": state["passed"], "exit": int(code),
            "errors": state["errors"]}


# --- replay --------------------------------------------------------------------------------------------------------

def _call(function, blob):
    """The call's outcome: ("returned", value) or ("raised", exception type name), and the arguments after."""
    args, kwargs = pickle.loads(blob)
    try:
        value = function(*args, **kwargs)
        if _lazy(value):
            # A generator, zip, map, ...: compared by what it yields (two runs' iterator objects never are equal)
            items = list(itertools.islice(value, MAX_ITERATED + 1))
            value = ("iterated", items) if len(items) <= MAX_ITERATED else ("iterated, cut", items[:MAX_ITERATED])
        outcome = ("returned", value)
    except Exception as error:
        outcome = ("raised", type(error).__name__)
    return outcome, args, kwargs


def _lazy(value):
    """Whether a returned value is an iterator whose items are the result (not a file, which is read, not yielded)."""
    return isinstance(value, Iterator) and not isinstance(value, io.IOBase)


def _describe(request, blob):
    args, kwargs = pickle.loads(blob)
    shown = [_short(a, 40) for a in args] + [f"{k}={_short(v, 40)}" for k, v in kwargs.items()]
    return f"{request['qualname'].rsplit('.', 1)[-1]}({', '.join(shown)})"


def _difference(request, blob, actual, expected):
    """Why a replayed outcome differs from the expected one, in words, or None."""
    (kind_a, value_a), (kind_e, value_e) = actual[0], expected[0]
    call = _describe(request, blob)
    if kind_a != kind_e:
        what = f"raised {value_a}" if kind_a == "raised" else "returned instead of raising"
        return f"{what} for {call}" + (f" (the original raised {value_e})" if kind_e == "raised" else "")
    if kind_a == "raised":
        return None if value_a == value_e else f"raised {value_a} instead of {value_e} for {call}"
    difference = deep_difference(value_a, value_e)
    if difference:
        return f"returned a different value for {call}: {difference}"
    difference = deep_difference((actual[1], actual[2]), (expected[1], expected[2]), "arguments")
    return f"left different arguments after {call}: {difference}" if difference else None


def _replay(request, mode):
    function = _target_function(request)
    calls = [base64.b64decode(c) for c in request["calls"]]
    if mode == "record":
        outcomes, mutates = [], []
        for blob in calls:
            try:
                outcome = _call(function, blob)  # raises only when the arguments cannot be unpickled here
                outcomes.append(base64.b64encode(pickle.dumps(outcome)).decode())
                mutates.append(pickle.dumps(outcome[1:]) != blob)
            except Exception:
                outcomes.append(None)
                mutates.append(True)
        return {"outcomes": outcomes, "mutates": mutates}
    if mode == "check":
        expected = [pickle.loads(base64.b64decode(e)) for e in request["expected"]]
        return {"differences": [_difference(request, blob, _call(function, blob), outcome)
                                for blob, outcome in zip(calls, expected, strict=True)]}
    made = [pickle.loads(blob) for blob in calls]
    for _ in range(request["repeat"]):
        for i, blob in enumerate(calls):
            args, kwargs = pickle.loads(blob) if request["mutates"][i] else made[i]
            with contextlib.suppress(Exception):
                value = function(*args, **kwargs)
                if _lazy(value):
                    for _ in itertools.islice(value, MAX_ITERATED):  # its work happens as it is consumed, as in _call
                        pass
    return {"replayed": len(calls)}


def _tests(request):
    import pytest

    failed = []

    class Reporter:
        def pytest_runtest_logreport(self, report):
            if report.failed:
                failed.append(report.nodeid)

    arguments = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", *request["pytest_args"], *request["tests"]]
    code = pytest.main(arguments, plugins=[Reporter()])
    return {"failed": failed, "exit": int(code)}


def main(overlay=None):
    request = pickle.loads(sys.stdin.buffer.read())
    sys.dont_write_bytecode = True
    if not request.get("plugin_autoload", True):
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only the plugins the project names (-p, conftest)
    target = _install(request, overlay)
    mode = request["mode"]
    if mode == "capture":
        answer = _capture(request, target)
    elif mode == "tests":
        answer = _tests(request)
    else:
        answer = _replay(request, mode)
    sys.stdout.flush()
    print("\n" + MARKER + json.dumps(answer))
