"""The layering and naming rules a newcomer relies on, checked rather than hoped for.

- ``channels_kit`` is installed into other people's projects, so it must never
  import the example site: imports run consumers -> channels_example -> channels_kit.
- A test module's name says what it needs: ``*_e2e.py`` modules are marked
  ``e2e`` (they start real processes), ``*_unit.py`` modules are not.
"""
import ast
import os

import pytest

from tests.paths import ROOT

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


TEST_MODULES = sorted(
    name for name in os.listdir(os.path.join(ROOT, "tests"))
    if name.startswith("test_") and name.endswith(".py")
)


@pytest.mark.parametrize("name", TEST_MODULES)
def test_module_name_agrees_with_its_marker(name):
    module, single = marked_e2e(os.path.join(ROOT, "tests", name))
    assert name.endswith(("_e2e.py", "_unit.py")), "name a test module *_e2e.py or *_unit.py"
    if name.endswith("_e2e.py"):
        assert module, "an _e2e module sets pytestmark = pytest.mark.e2e"
    else:
        assert not module and not single, "a _unit module starts no real processes"
