"""The stock 1.x project moves from Django 2.2 to 5.2 as docs/upgrading-django.md says.

The same project (tests/support/stock_project, one database) runs first on the 2.2
set with the kit (the guide's step 1), then on the 5.2 set (step 3): each in
a fresh venv holding only the pins and the kit's wheel, installed the
README's way (--no-deps), each serving echo through daphne, two of the kit's
runworkers and Redis. Between them, what the guide says users notice: a
2.2 session no longer logs its user in on 5.2, and 5.2 needs its own
migrations. The 2.2 line's ``check --deploy`` names the end of its support.
"""
import os
import sys

import pytest

from channels_kit.testing.split import Split
from tests.e2e.test_stock_project_e2e import STOCK, echo, run
from tests.support.paths import ARTIFACTS, ROOT

# In .ci/run's first run only (builds its own 2.2 and 5.2 venvs).
pytestmark = pytest.mark.once


# The stock project has no sessions app; a file session store needs no table.
LOGIN = ("from django.contrib.auth import get_user_model, login; "
         "from django.contrib.sessions.backends.file import SessionStore; "
         "from django.http import HttpRequest; "
         "u = get_user_model().objects.create_user('early', password='a long pass phrase'); "
         "r = HttpRequest(); r.session = SessionStore(); login(r, u, "
         "backend='django.contrib.auth.backends.ModelBackend'); r.session.save(); "
         "print(r.session.session_key)")
WHO = ("import os; from django.contrib.auth import get_user; "
       "from django.contrib.sessions.backends.file import SessionStore; "
       "from django.http import HttpRequest; r = HttpRequest(); "
       "r.session = SessionStore(os.environ['SESSION_KEY']); "
       "print(get_user(r).get_username() or 'anonymous')")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("upgrade-dist")
    run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(dist),
        cwd=ROOT, timeout=300)
    [name] = os.listdir(dist)
    return str(dist / name)


def venv_with(pins, wheel, where):
    run(sys.executable, "-m", "venv", str(where), timeout=120)
    python = str(where / "bin" / "python")
    run(python, "-m", "pip", "install", "-q", "--no-deps", "-r", os.path.join(ROOT, pins), wheel,
        timeout=600)
    run(python, os.path.join(ROOT, "scripts", "pip_check.py"), timeout=120)
    return python


def manage(python, env, *args):
    return run(python, "manage.py", *args, cwd=STOCK, env=dict(os.environ, **env), timeout=120)


def serves_echo(python, env, name):
    split = Split(workers=2, root=STOCK, python=python, env=env,
                  log_dir=os.path.join(ARTIFACTS, "logs", "stock_upgrade", name))
    with split:
        return echo(split, "hello from " + name)


def test_the_stock_project_moves_from_22_to_52_by_the_guide(wheel, tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "echosite.settings", "PYTHONPATH": "",
           "DATABASE_PATH": str(tmp_path / "db.sqlite3"), "TMPDIR": str(tmp_path)}

    # Step 1: the kit on Django 2.2.
    before = venv_with("requirements-django22.txt", wheel, tmp_path / "venv22")
    assert manage(before, env, "shell", "-c", "import django; print(django.get_version())"
                  ).stdout.strip() == "2.2.28"
    manage(before, env, "migrate", "--noinput")
    session_key = manage(before, env, "shell", "-c", LOGIN).stdout.strip()
    env["SESSION_KEY"] = session_key
    assert manage(before, env, "shell", "-c", WHO).stdout.strip() == "early"
    deploy = run(before, "manage.py", "check", "--deploy", "--tag", "channels", cwd=STOCK,
                 env=dict(os.environ, **env), timeout=120)
    assert "(channels_kit.W023) Django 2.2.28 is a release line without security support " \
           "since the end of April 2022" in deploy.stderr
    assert serves_echo(before, env, "2.2") == "hello from 2.2"

    # Step 3: the switch: the 5.2 set, its migrations, the same database.
    after = venv_with("requirements.txt", wheel, tmp_path / "venv52")
    plan = manage(after, env, "migrate", "--plan").stdout
    assert "auth.0012_alter_user_first_name_max_length" in plan
    manage(after, env, "migrate", "--noinput")
    # The one-time logout: the 2.2 session no longer names its user.
    assert manage(after, env, "shell", "-v", "0", "-c", WHO).stdout.strip() == "anonymous"
    assert "W023" not in run(after, "manage.py", "check", "--deploy", "--tag", "channels",
                             cwd=STOCK, env=dict(os.environ, **env), timeout=120).stderr
    assert serves_echo(after, env, "5.2") == "hello from 5.2"
