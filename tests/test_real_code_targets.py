"""Targets at the cursor, the region a model sees, splicing a rewrite back, package context, the comparator."""

from __future__ import annotations

import ast
import dataclasses
import shutil
from pathlib import Path

import pytest

from optimizer.functions import FunctionNotFoundError
from optimizer.package_context import PackageContextError, module_context
from optimizer.sandbox_driver import deep_difference
from optimizer.targets import find_target, model_region, splice, target_at, targets

FIXTURE = Path(__file__).parent / "fixtures" / "realpkg"
MODULE = '''"""Shapes."""

import math
import re
from collections import Counter

LIMIT = 10
TABLE = {"a": 1}


def area(r):
    def square(x):
        return x * x
    return math.pi * square(r)


class Shape:
    @staticmethod
    def scale(xs, k):
        return [x * k for x in xs]

    @classmethod
    def make(cls):
        return cls()

    def words(self, text):
        return [w for w in re.split(" ", text) if len(w) < LIMIT]

    class Inner:
        def deep(self):
            return 1
'''


def test_targets_are_functions_and_methods_of_nested_classes():
    tree = ast.parse(MODULE)
    assert [t.qualname for t in targets(tree, MODULE)] == [
        "area", "Shape.scale", "Shape.make", "Shape.words", "Shape.Inner.deep"]


def test_the_cursor_in_a_nested_function_targets_the_enclosing_one():
    tree = ast.parse(MODULE)
    inside_square = MODULE.index("return x * x")
    assert target_at(tree, MODULE, inside_square, inside_square).qualname == "area"
    on_decorator = MODULE.index("@classmethod")
    assert target_at(tree, MODULE, on_decorator, on_decorator).qualname == "Shape.make"
    deep = MODULE.index("return 1")
    assert target_at(tree, MODULE, deep, deep).qualname == "Shape.Inner.deep"
    limit = MODULE.index("LIMIT = 10")
    assert target_at(tree, MODULE, limit, limit) is None
    with pytest.raises(FunctionNotFoundError):
        find_target(tree, MODULE, "Shape.missing")


def test_the_region_is_the_target_with_the_imports_and_names_it_uses():
    tree = ast.parse(MODULE)
    region = model_region(MODULE, tree, find_target(tree, MODULE, "Shape.words"))
    assert region.startswith("import re\nLIMIT = 10\n")
    assert "def words(self, text):\n    return" in region  # dedented
    assert "math" not in region and "TABLE" not in region and "class Shape" not in region
    ast.parse(region)


def test_a_rewritten_method_goes_back_indented_with_its_new_imports():
    tree = ast.parse(MODULE)
    target = find_target(tree, MODULE, "Shape.words")
    rewrite = ("import re\nfrom itertools import compress\nLIMIT = 10\n\n\n"
               "def words(self, text):\n    return [w for w in text.split(' ') if len(w) < LIMIT]\n")
    module = splice(MODULE, tree, target, rewrite)
    assert "from collections import Counter\nfrom itertools import compress\n" in module
    assert "    def words(self, text):\n        return [w for w in text.split(' ')" in module
    assert module.count("import re") == 1 and "class Inner" in module
    ast.parse(module)
    wrapped = "class Shape:\n    def words(self, text):\n        return []\n"  # a model may keep the class
    assert "    def words(self, text):\n        return []\n" in splice(MODULE, tree, target, wrapped)
    assert splice(MODULE, tree, target, "def other():\n    pass\n") is None
    assert splice(MODULE, tree, target, "def words(:\n") is None


def test_package_context_names_the_module_and_copies_the_workspace(tmp_path):
    workspace = tmp_path / "ws"
    shutil.copytree(FIXTURE, workspace)
    (workspace / ".venv" / "lib").mkdir(parents=True)
    (workspace / ".venv" / "lib" / "big.py").write_text("x = 1\n")
    path = workspace / "realpkg" / "catalog.py"
    context = module_context(workspace, path, "EDITED = True\n")
    assert context.module == "realpkg.catalog" and context.file == "realpkg/catalog.py"
    assert context.import_roots == ("",) and context.has_tests
    assert context.files["realpkg/catalog.py"] == "EDITED = True\n"  # the editor's text, not the file's
    assert "tests/test_catalog.py" in context.files and not any(".venv" in f for f in context.files)
    init = module_context(workspace, workspace / "realpkg" / "__init__.py", "")
    assert init.module == "realpkg"


def test_src_layout_and_package_dir(tmp_path):
    (tmp_path / "src" / "pkg" / "sub").mkdir(parents=True)
    for folder in ("src/pkg", "src/pkg/sub"):
        (tmp_path / folder / "__init__.py").write_text("")
    module = tmp_path / "src" / "pkg" / "sub" / "mod.py"
    module.write_text("")
    context = module_context(tmp_path, module, "")
    assert context.module == "pkg.sub.mod" and context.import_roots == ("src", "")
    (tmp_path / "pyproject.toml").write_text('[tool.setuptools.package-dir]\n"" = "lib"\n')
    assert module_context(tmp_path, module, "").import_roots == ("src", "lib", "")
    with pytest.raises(PackageContextError):
        module_context(tmp_path / "src", tmp_path / "elsewhere.py", "")


@dataclasses.dataclass
class Point:
    x: float
    y: float


class Slotted:
    __slots__ = ("a",)

    def __init__(self, a):
        self.a = a


def test_deep_difference():
    assert deep_difference([1.0, {"a": (2, 0.1 + 0.2)}], [1.0, {"a": (2, 0.3)}]) is None  # float tolerance
    assert deep_difference(float("nan"), float("nan")) is None
    assert deep_difference([1, 2], [1, 2, 3]) == "result: 2 items instead of 3"
    assert deep_difference(1, 1.0) == "result: int instead of float"
    assert deep_difference({1, 2}, {2, 1}) is None and deep_difference({1}, {2}) is not None
    assert deep_difference(Point(1.0, 2.0), Point(1.0, 2.0000000001)) is None
    assert deep_difference(Point(1.0, 2.0), Point(1.0, 3.0)) == "result.y: 2.0 != 3.0"
    assert deep_difference(Slotted([1]), Slotted([1])) is None and deep_difference(Slotted(1), Slotted(2))
    cycle: list = []
    cycle.append(cycle)
    assert deep_difference(cycle, cycle) is None
