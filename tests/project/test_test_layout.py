"""The test suite's own shape: test modules sit in folders that mirror the code, no test module imports
another test module or a conftest (shared code lives in tests/helpers/, fixtures in tests/fixtures/), and
a conftest only holds fixtures and pytest hooks. Checked on the source (AST), so it cannot regress quietly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def is_test_module(path: Path) -> bool:
    return path.name.startswith("test_") or path.name == "conftest.py"


def module_path(tests: Path, module: str) -> Path | None:
    """The file under `tests` of a dotted module name `tests.x.y`, or None when it is not one."""
    parts = module.split(".")
    if parts[0] != "tests" or len(parts) < 2:
        return None
    candidate = tests.joinpath(*parts[1:])
    return candidate.with_suffix(".py") if candidate.with_suffix(".py").exists() else None


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every absolute import; `from a import b` gives both `a` and `a.b`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def cross_imports(tests: Path) -> list[str]:
    """`file:line imports module` for each import of a test module or conftest by any file under `tests`."""
    problems = []
    for path in sorted(tests.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, module in imported_modules(tree):
            target = module_path(tests, module)
            if target is not None and is_test_module(target) and target != path:
                problems.append(f"{path.relative_to(tests)}:{line} imports {module}")
    return problems


def is_fixture(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr == "fixture":
            return True
    return False


def conftest_helpers(tests: Path) -> list[str]:
    """Top-level functions of a conftest that are neither fixtures nor pytest hooks."""
    problems = []
    for path in sorted(tests.rglob("conftest.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not (is_fixture(node) or node.name.startswith("pytest_")):
                problems.append(f"{path.relative_to(tests)}:{node.lineno} defines {node.name}()")
    return problems


def test_no_test_module_imports_another_test_module_or_a_conftest():
    assert cross_imports(TESTS) == [], "move what is shared into tests/helpers/ or tests/fixtures/"


def test_conftests_hold_only_fixtures_and_hooks():
    assert conftest_helpers(TESTS) == [], "move helper functions into tests/helpers/"


def test_test_modules_sit_in_folders_that_mirror_the_code():
    assert sorted(p.name for p in TESTS.glob("test_*.py")) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param({"a/test_x.py": "from tests.b.test_y import helper\n", "b/test_y.py": ""},
                     ["a/test_x.py:1 imports tests.b.test_y"], id="from-test-module"),
        pytest.param({"a/test_x.py": "from tests.b import test_y\n", "b/test_y.py": ""},
                     ["a/test_x.py:1 imports tests.b.test_y"], id="import-test-module-by-name"),
        pytest.param({"a/test_x.py": "import tests.a.conftest\n", "a/conftest.py": ""},
                     ["a/test_x.py:1 imports tests.a.conftest"], id="conftest"),
        pytest.param({"a/test_x.py": "def f():\n    from tests.a.conftest import K\n", "a/conftest.py": ""},
                     ["a/test_x.py:2 imports tests.a.conftest"], id="inside-a-function"),
        pytest.param({"a/test_x.py": "from tests.helpers.h import f\nfrom tests.fixtures import s3\n",
                      "helpers/h.py": "", "fixtures/s3.py": ""}, [], id="helpers-and-fixtures-are-fine"),
    ],
)
def test_the_import_check_finds_every_form(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cross_imports(tmp_path) == expected


def test_the_conftest_check_finds_a_helper(tmp_path):
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef ok(): ...\n\n@pytest.fixture(scope='session')\ndef ok2(): ...\n\n"
        "def pytest_configure(config): ...\n\ndef helper(): ...\n"
    )
    assert conftest_helpers(tmp_path) == ["conftest.py:11 defines helper()"]
