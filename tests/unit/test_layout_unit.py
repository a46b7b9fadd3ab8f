"""The layering and naming rules a newcomer relies on, checked rather than hoped for.

- ``channels_kit`` is installed into other people's projects, so it must never
  import the example site: imports run consumers -> channels_example -> channels_kit.
- A test module's name and folder say what it needs: ``*_e2e.py`` modules live
  in tests/e2e/, whose tests are marked ``e2e`` (they start real processes);
  ``*_unit.py`` modules live in tests/unit/ and are not.
"""
import ast
import os

import pytest

from tests.support.paths import ROOT

SITE_MODULES = {"channels_example", "consumers", "routing", "asgi"}


def python_files(folder):
    for directory, _, names in os.walk(os.path.join(ROOT, folder)):
        for name in names:
            if name.endswith(".py"):
                yield os.path.join(directory, name)


def imported_modules(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_the_kit_never_imports_the_site():
    offending = [
        "%s imports %s" % (os.path.relpath(path, ROOT), module)
        for path in python_files("channels_kit")
        for module in imported_modules(path)
        if module.split(".")[0] in SITE_MODULES
    ]
    assert offending == []


def test_the_site_check_would_catch_a_site_import(tmp_path):
    planted = tmp_path / "bad.py"
    planted.write_text("from channels_example.chat import room_group\nimport routing\n")
    assert [m for m in imported_modules(str(planted)) if m.split(".")[0] in SITE_MODULES] == [
        "channels_example.chat", "routing"]


def is_e2e_marker(node):
    """``pytest.mark.e2e``, alone or in a list of marks."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(is_e2e_marker(item) for item in node.elts)
    return isinstance(node, ast.Attribute) and node.attr == "e2e"


def marked_e2e(path):
    """(module marked e2e, any single test or class marked e2e)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    module = any(
        isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in node.targets)
        and is_e2e_marker(node.value)
        for node in tree.body
    )
    single = any(
        is_e2e_marker(decorator)
        for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        for decorator in node.decorator_list
    )
    return module, single


TESTS = os.path.join(ROOT, "tests")
TEST_MODULES = sorted(
    os.path.relpath(path, TESTS)
    for path in python_files("tests")
    if os.path.basename(path).startswith("test_")
)


@pytest.mark.parametrize("name", TEST_MODULES)
def test_module_name_agrees_with_its_folder(name):
    """The folder gives the marker (tests/conftest.py), so a module must sit in the right one."""
    folder, base = os.path.split(name)
    assert (folder, base.endswith("_e2e.py")) in {("e2e", True), ("unit", False)}, (
        "put *_e2e.py modules in tests/e2e/ and *_unit.py modules in tests/unit/")
    assert base.endswith(("_e2e.py", "_unit.py")), "name a test module *_e2e.py or *_unit.py"
    module, single = marked_e2e(os.path.join(TESTS, name))
    assert not module and not single, "the folder marks e2e tests; a module does not mark itself"
