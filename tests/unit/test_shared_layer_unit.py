"""Commands that send to the layer say so when it reaches nobody, and find ./run's split.

``manage.py setvalue`` and ``push`` once printed success on the in-memory
layer, where nothing outside the command's own process could hear them.
"""
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from channels_example.models import LiveValue
from channels_kit.operations import run_env
from channels_kit.testing.split import free_port
from tests.support.paths import ROOT


def manage(*args, env=None):
    """Run manage.py in a process of its own, as a person would, with ``env`` over a clean one."""
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RUN_ENV_FILE")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=dict(base, **env),
                          capture_output=True, text=True, timeout=60)


@pytest.mark.django_db
def test_setvalue_on_the_in_memory_layer_fails_and_saves_nothing():
    with pytest.raises(CommandError, match="inside this one process.*./run"):
        call_command("setvalue", "temperature", "21")
    assert not LiveValue.objects.filter(name="temperature").exists()


@pytest.mark.django_db
def test_push_on_the_in_memory_layer_fails():
    with pytest.raises(CommandError, match="inside this one process"):
        call_command("push", "--room", "lobby", "hello?")


def test_setvalue_with_redis_down_exits_non_zero_and_names_the_server(tmp_path):
    port = free_port()
    result = manage("setvalue", "temperature", "21", env={
        "REDIS_URL": "redis://:secret@127.0.0.1:%d/0" % port, "RUN_ENV_FILE": "",
        "DATABASE_PATH": str(tmp_path / "db.sqlite3")})
    assert result.returncode == 1
    assert "Redis at redis://127.0.0.1:%d/0 does not answer" % port in result.stderr
    assert "secret" not in result.stderr
    assert "updated" not in result.stdout and "created" not in result.stdout


def settings_redis_url(env):
    result = manage("shell", "-v", "0", "-c", "from django.conf import settings; print(settings.REDIS_URL)",
                    env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_settings_take_redis_url_from_a_running_split_file(tmp_path):
    path = str(tmp_path / "run.env")
    run_env.write(path, {"REDIS_URL": "redis://127.0.0.1:6399/0"})  # written by this live process
    assert settings_redis_url({"RUN_ENV_FILE": path}) == "redis://127.0.0.1:6399/0"
    # A REDIS_URL in the shell wins; an empty RUN_ENV_FILE turns the file off.
    assert settings_redis_url({"RUN_ENV_FILE": path, "REDIS_URL": "redis://10.0.0.1:1/0"}) \
        == "redis://10.0.0.1:1/0"
    assert settings_redis_url({"RUN_ENV_FILE": ""}) == "None"
    run_env.remove(path)
    assert not os.path.exists(path)


def test_a_file_left_by_a_dead_supervisor_is_ignored(tmp_path):
    path = tmp_path / "run.env"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    path.write_text("RUN_PID=%d\nREDIS_URL=redis://127.0.0.1:6399/0\n" % gone.pid)
    assert run_env.read_live(str(path)) == {}
    assert settings_redis_url({"RUN_ENV_FILE": str(path)}) == "None"
