"""The upgrade checks (channels_kit/checks/upgrade_checks.py): each problem planted in turn.

Run on whichever Django line this venv holds; where a check cannot fire on
this line (channels.delay's label before 3.2), the test says so by asserting
the line's answer.
"""
import datetime
import os
import subprocess
import sys

import django
from django.core import checks

from channels_kit.checks import upgrade_checks
from channels_kit.compat import djangos
from tests.support.paths import ROOT


def reported(deploy=False):
    """{id: [message, ...]} of what the channels-tagged checks report."""
    found = {}
    for message in checks.run_checks(tags=["channels"], include_deployment_checks=deploy):
        found.setdefault(message.id, []).append(message.msg)
    return found


def test_the_pinned_site_gets_none_of_them():
    found = reported()
    assert not {"channels_kit.E020", "channels_kit.W021", "channels_kit.E022"} & set(found)


# --- E020: the kit imported too late ----------------------------------------

def test_channels_imported_before_the_kit_is_E020_where_a_shim_is_needed(monkeypatch):
    monkeypatch.setattr(djangos, "channels_imported_first", True)
    found = reported()
    if upgrade_checks.shims_needed():
        message, = found["channels_kit.E020"]
        assert message.startswith("channels was imported before channels_kit")
    else:  # Django 2.2 on 3.11: channels loads the same either way
        assert "channels_kit.E020" not in found


def test_a_settings_module_that_imports_channels_first_gets_E020(tmp_path):
    """The real thing: a settings file whose first import is channels, run by manage.py."""
    (tmp_path / "late_settings.py").write_text(
        "import channels  # before the kit: its __init__ hides the ImportError\n"
        "from channels_example.settings import *  # noqa\n")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="late_settings",
               PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    result = subprocess.run([sys.executable, "-c", "from django.core.management import "
                             "execute_from_command_line; execute_from_command_line("
                             "['manage.py', 'check', '--tag', 'channels'])"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    needed = upgrade_checks.shims_needed()
    assert ("channels_kit.E020" in result.stderr) == needed, result.stderr
    assert (result.returncode != 0) == needed


# --- W021: channels.delay and its new label ---------------------------------

def test_channels_delay_on_32_or_later_is_W021(settings):
    settings.INSTALLED_APPS = settings.INSTALLED_APPS + ["channels.delay"]
    found = reported()
    if django.VERSION >= (3, 2):
        message, = found["channels_kit.W021"]
        assert "relabels it 'channels_delay'" in message
    else:
        assert "channels_kit.W021" not in found


# --- E022: pickle sessions ----------------------------------------------------

def test_a_pickle_session_serializer_is_E022(settings):
    settings.SESSION_SERIALIZER = "django.contrib.sessions.serializers.PickleSerializer"
    message, = reported()["channels_kit.E022"]
    assert "Django 5.0 removed PickleSerializer" in message


def test_a_json_serializer_passes_E022(settings):
    settings.SESSION_SERIALIZER = "django.contrib.sessions.serializers.JSONSerializer"
    assert "channels_kit.E022" not in reported()


# --- W023: a Django line without security support (deploy) -------------------

def test_an_unsupported_line_is_W023_naming_the_date_and_the_guide(monkeypatch):
    monkeypatch.setattr(djangos, "DJANGO", (2, 2))
    message, = [m for m in upgrade_checks.check_security_support() if m.id == "channels_kit.W023"]
    assert "without security support since the end of April 2022" in message.msg
    assert "docs/upgrading-django.md" in message.hint


def test_52_is_W023_only_after_its_end_of_support(monkeypatch):
    monkeypatch.setattr(djangos, "DJANGO", (5, 2))
    assert upgrade_checks.check_security_support(today=datetime.date(2028, 4, 30)) == []
    late, = upgrade_checks.check_security_support(today=datetime.date(2028, 5, 1))
    assert "since the end of April 2028" in late.msg


def test_W023_runs_under_deploy_only():
    ended = upgrade_checks.support_ended(django.VERSION[:2], datetime.date.today())
    assert "channels_kit.W023" not in reported(deploy=False)
    assert ("channels_kit.W023" in reported(deploy=True)) == ended
