"""Where a module lives in its project: its dotted name, the folders imports start from, and a copy of the files.

The sandbox cannot see the user's folders, so a run gets a *snapshot*: the workspace's Python sources and
small configuration and data files, as text, which the sandbox writes into its own scratch folder. The file
being edited is taken from the editor's buffer, so an unsaved change is what gets verified.

Import roots are found as Python would find the package: walking up from the module while folders hold an
``__init__.py`` (plain folders and ``src/`` layouts alike); a ``[tool.setuptools.package-dir]`` of ``""``
in ``pyproject.toml``, ``src/`` and the workspace root are added as further roots.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

SKIPPED_FOLDERS = {".git", ".hg", ".svn", ".venv", "venv", "env", ".env", "node_modules", "__pycache__", ".tox",
                   ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist", "site-packages",
                   ".eggs", "htmlcov"}
TEXT_SUFFIXES = {".py", ".pyi", ".toml", ".cfg", ".ini", ".txt", ".json", ".csv", ".yaml", ".yml", ".md"}
MAX_FILE_BYTES = 512 << 10
MAX_SNAPSHOT_BYTES = 32 << 20
MAX_FILES = 3000


class PackageContextError(ValueError):
    """The module cannot be placed in its workspace (outside it, or the workspace is too large to copy)."""


@dataclass(frozen=True)
class ModuleContext:
    """A module's place in its workspace, and the workspace's files to run it with."""

    module: str  # the dotted name it is imported under, e.g. "realpkg.catalog"
    file: str  # its path relative to the workspace root, with "/" separators
    import_roots: tuple[str, ...]  # folders relative to the workspace root ("" is the root itself)
    files: dict[str, str]  # relative path -> text; the module's own entry is the editor's text
    pytest_args: tuple[str, ...] = ()  # added to every pytest run, e.g. ("-p", "no:asyncio") against a plugin

    @property
    def has_tests(self) -> bool:
        return any(_is_test_file(path) for path in self.files)


def module_context(workspace: Path, module_path: Path, source: str) -> ModuleContext:
    """The module's dotted name, import roots and a snapshot of ``workspace``, with ``source`` as the module."""
    workspace, module_path = workspace.resolve(), module_path.resolve()
    try:
        relative = module_path.relative_to(workspace)
    except ValueError as exc:
        raise PackageContextError(f"{module_path} is not inside the workspace {workspace}") from exc
    folder, parts = module_path.parent, [] if module_path.name == "__init__.py" else [module_path.stem]
    while folder != workspace and (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not parts:
        raise PackageContextError(f"{relative} is a package's __init__.py at the workspace root")
    roots = [folder.relative_to(workspace).as_posix() if folder != workspace else ""]
    roots += [r for r in (_package_dir(workspace), "src" if (workspace / "src").is_dir() else None, "")
              if r is not None and r not in roots]
    files = snapshot(workspace)
    files[relative.as_posix()] = source
    return ModuleContext(".".join(parts), relative.as_posix(), tuple(roots), files)


def snapshot(workspace: Path) -> dict[str, str]:
    """The workspace's text files a test run may need, without virtual environments, caches and builds."""
    files: dict[str, str] = {}
    total = 0
    for folder, folders, names in os.walk(workspace):
        folders[:] = sorted(f for f in folders if f not in SKIPPED_FOLDERS and not f.endswith(".egg-info"))
        for name in sorted(names):
            path = Path(folder, name)
            if path.suffix not in TEXT_SUFFIXES or path.is_symlink():
                continue
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            total += len(text)
            if total > MAX_SNAPSHOT_BYTES or len(files) >= MAX_FILES:
                raise PackageContextError(f"the workspace {workspace} holds more than {MAX_SNAPSHOT_BYTES >> 20} MB "
                                          f"or {MAX_FILES} files of sources; open the package's own folder")
            files[path.relative_to(workspace).as_posix()] = text
    return files


def _package_dir(workspace: Path) -> str | None:
    """``[tool.setuptools.package-dir] "" = "lib"`` in pyproject.toml: packages live under that folder."""
    try:
        config = tomllib.loads((workspace / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    folder = config.get("tool", {}).get("setuptools", {}).get("package-dir", {}).get("")
    return folder.strip("/") if isinstance(folder, str) else None


def _is_test_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))
