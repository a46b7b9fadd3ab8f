"""The lessons ladder's shape: stock imports only, every broken consumer beside its fix, off by default."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import consumers.lessons
from tests.support.paths import ROOT

LESSONS = Path(ROOT) / "consumers" / "lessons"
MODULES = sorted(p.stem for p in LESSONS.glob("*.py") if p.stem != "__init__")


def imported_roots(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module


def included_paths():
    """{module name: path regex} of the ladder."""
    return dict(consumers.lessons.RUNGS)


@pytest.mark.parametrize("module", MODULES)
def test_a_lesson_imports_only_channels_the_standard_library_and_other_lessons(module):
    for name in imported_roots(LESSONS / (module + ".py")):
        root = name.split(".")[0]
        assert root == "channels" or root in sys.stdlib_module_names \
            or name.startswith("consumers.lessons"), "%s imports %s" % (module, name)


def test_every_lesson_is_on_the_ladder_once():
    modules = [module for module, path in consumers.lessons.RUNGS]
    assert sorted(modules) == MODULES


@pytest.mark.parametrize("module", [m for m in MODULES if m.endswith("_broken")])
def test_every_broken_lesson_sits_beside_its_fix(module):
    paths = included_paths()
    fixed = module[:-len("_broken")]
    assert paths[module] == paths[fixed][:-1] + "broken/$"


def test_the_ladder_is_not_routed_unless_asked_for(settings):
    assert settings.LESSONS is False
    assert consumers.lessons.routes == []


def slow_ms_under(env):
    """settings.LESSONS_SLOW_MS in a fresh process with ``env`` added to this one's."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.conf import settings; print(settings.LESSONS_SLOW_MS)"],
        cwd=ROOT, env=dict(os.environ, RUN_ENV_FILE="", **env), capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def test_the_slow_pace_is_ignored_unless_the_ladder_is_routed():
    assert slow_ms_under({"LESSONS_SLOW_MS": "1500"}) == 0
    assert slow_ms_under({"LESSONS": "1", "LESSONS_SLOW_MS": "1500"}) == 1500


def test_a_pause_sleeps_the_slow_pace_and_by_default_not_at_all(settings, monkeypatch):
    slept = []
    monkeypatch.setattr(consumers.lessons.time, "sleep", slept.append)
    consumers.lessons.pause()
    assert slept == []
    settings.LESSONS_SLOW_MS = 1500
    consumers.lessons.pause()
    assert slept == [1.5]


@pytest.mark.parametrize("module", ["immediate", "sessions", "ordering"])
def test_the_lessons_with_a_race_pause_where_it_happens(module):
    """Each lesson whose race the class watches marks its race window with a pause."""
    assert "pause()" in (LESSONS / (module + ".py")).read_text()
