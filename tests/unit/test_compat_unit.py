"""channels_kit.compat on each Python: the six shim, and the per-Python packages.

Each check runs the real interpreter in a subprocess: the running one when
its version qualifies, else the project's venv for that version
(tests/support/pythons.py). So on a 3.11 run these still prove that 3.12 needs the
shim, and CI's 3.12 and 3.13 runs repeat them natively.
"""
import subprocess
import sys

import pytest

from channels_kit import compat
from tests.support.paths import ROOT
from tests.support.pythons import venv_python

SIX_MOVES = "from django.utils.six.moves.urllib.parse import urlparse; print(urlparse('ws://h/room/').path)"


def run(python, *args):
    return subprocess.run([python, *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_six_moves_do_not_import_on_312_without_the_shim():
    """On Django 2.2 the vendored six's importer fails on 3.12; on 3.0+ django.utils.six is gone."""
    python = venv_python(at_least=(3, 12))
    bare = run(python, "-c", SIX_MOVES)
    assert bare.returncode != 0
    assert "No module named 'django.utils.six" in bare.stderr
    shimmed = run(python, "-c", "import channels_kit; " + SIX_MOVES)
    assert shimmed.returncode == 0, shimmed.stderr
    assert shimmed.stdout.strip() == "/room/"


def test_the_shim_leaves_six_alone_before_312():
    python = venv_python(below=(3, 12))
    probe = ("import channels_kit; from channels_kit import compat; "
             "print('teach_six_importer_find_spec' in compat.APPLIED); " + SIX_MOVES)
    result = run(python, "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "/room/"]


@pytest.mark.parametrize("prerequisite", compat.PREREQUISITES, ids=lambda p: p.pin.split("==")[0])
def test_manage_py_names_a_missing_package_and_its_fix(prerequisite):
    python = venv_python(at_least=prerequisite.since)
    result = run(python, "tests/support/without_modules.py", prerequisite.module, "manage.py", "check")
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("channels_kit.compat.MissingPrerequisite: ")
    assert "Fix: pip install '%s'" % prerequisite.pin in last_line


def test_manage_py_check_is_clean_with_the_pins():
    result = run(sys.executable, "manage.py", "check")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


class _Refuse:
    def find_spec(self, fullname, path=None, target=None):
        if fullname in ("distutils", "cgi"):
            raise ModuleNotFoundError(fullname, name=fullname)
        return None


@pytest.mark.parametrize("python, needed", [
    ((3, 11), []),
    ((3, 12), ["setuptools==84.2.1"]),
    ((3, 13), ["setuptools==84.2.1", "legacy-cgi==2.6.4"]),
])
def test_each_package_is_required_only_from_the_python_that_removed_its_module(
        monkeypatch, python, needed):
    monkeypatch.setattr(sys, "meta_path", [_Refuse()] + sys.meta_path)
    for module in ("distutils", "cgi"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    assert [p.pin for p in compat.missing(python)] == needed


@pytest.mark.parametrize("prerequisite", compat.PREREQUISITES, ids=lambda p: p.pin.split("==")[0])
def test_each_package_is_pinned_in_requirements_for_the_pythons_that_need_it(prerequisite):
    with open(ROOT + "/requirements.txt") as requirements:
        lines = [line.strip() for line in requirements]
    assert '%s ; python_version >= "%d.%d"' % ((prerequisite.pin,) + prerequisite.since) in lines
