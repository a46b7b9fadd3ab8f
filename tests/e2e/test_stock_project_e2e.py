"""The kit installed from its wheel into a project that is not ours.

tests/support/stock_project is a Channels 1.x project as the getting-started guide
writes one (function consumers that echo, asgi_redis-style settings, its own
asgi.py), changed only by the steps of docs/using-the-kit.md. This test builds the wheel, installs it next to the pins of the line
this suite runs on (requirements.txt, or requirements-django22.txt) in a
fresh venv, the README's way (--no-deps), and runs that project from its own directory, so
nothing of this repository but the wheel is importable: redis-server,
daphne and two of the kit's runworkers, started from the stock Procfile.
"""
import json
import os
import re
import subprocess
import sys
import urllib.request

import django
import pytest
import websocket

from channels_kit.testing.split import Split, wait_for
from tests.support.paths import ARTIFACTS, ROOT


STOCK = os.path.join(ROOT, "tests", "support", "stock_project")
PINS = os.path.join(ROOT, "requirements.txt" if django.VERSION >= (3, 0) else "requirements-django22.txt")


def run(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="session")
def stock_python(tmp_path_factory):
    """A fresh venv holding the pins and the kit's wheel, and nothing else of this repository."""
    tmp = tmp_path_factory.mktemp("stock")
    run(sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp / "dist"),
        cwd=ROOT, timeout=300)
    [wheel] = os.listdir(tmp / "dist")
    run(sys.executable, "-m", "venv", str(tmp / "venv"), timeout=120)
    python = str(tmp / "venv" / "bin" / "python")
    run(python, "-m", "pip", "install", "-q", "--no-deps", "-r", PINS,
        str(tmp / "dist" / wheel), timeout=600)
    run(python, os.path.join(ROOT, "scripts", "pip_check.py"), timeout=120)
    return python


@pytest.fixture
def stock_env(tmp_path):
    """The environment of the stock project's processes: its settings, no PYTHONPATH."""
    return {"DJANGO_SETTINGS_MODULE": "echosite.settings", "PYTHONPATH": "",
            "DATABASE_PATH": str(tmp_path / "db.sqlite3")}


def probe(python, env, code):
    return run(python, "-c", code, cwd=STOCK, env=dict(os.environ, **env), timeout=60).stdout


def test_only_the_wheel_is_importable(stock_python, stock_env):
    where = probe(stock_python, stock_env, "import channels_kit; print(channels_kit.__file__)")
    assert "site-packages" in where and not where.startswith(ROOT + "/channels_kit")
    missing = probe(stock_python, stock_env, "\n".join([
        "import importlib.util",
        "print([m for m in ('channels_example', 'consumers', 'routing', 'asgi')",
        "       if importlib.util.find_spec(m)])",
    ]))
    assert missing.strip() == "[]"


def test_checks_report_what_the_guide_left_and_not_what_the_kit_steps_fixed(stock_python,
                                                                            stock_env):
    """The installed app registers its checks, and runs without REDIS_URL set.

    The guide's consumers check no Origin (W004); the kit's step 3 gave daphne's
    reply channels room, so the default-capacity warning (W001) is gone.
    """
    env = {name: value for name, value in dict(os.environ, **stock_env).items()
           if name != "REDIS_URL"}
    result = run(stock_python, "manage.py", "check", "--tag", "channels", cwd=STOCK,
                 env=env, timeout=60)
    report = result.stderr + result.stdout
    assert "(channels_kit.W004) The websocket.connect consumer echosite.consumers.ws_connect" in report
    assert "channels_kit.W001" not in report


def echo(split, text):
    sock = websocket.create_connection(split.ws_url + "/echo/", timeout=10, origin=split.url)
    try:
        sock.send(text)
        return sock.recv()
    finally:
        sock.close()


def test_echo_survives_a_redis_restart_and_layerstats_reports(stock_python, stock_env):
    split = Split(workers=2, root=STOCK, python=stock_python, env=stock_env,
                  log_dir=os.path.join(ARTIFACTS, "logs", "stock_project"))
    with split:
        assert echo(split, "hello") == "hello"
        with urllib.request.urlopen(split.url + "/health/", timeout=10) as response:
            assert json.load(response) == {"redis": "ok", "db": "ok"}

        split.redis.stop()
        for worker in split.workers:
            wait_for(lambda: "worker waiting for it" in worker.log(), 20, worker.name + " to wait")
        split.start_redis()
        for worker in split.workers:
            wait_for(lambda: "listening again" in worker.log(), 20, worker.name + " to resume")
        assert all(worker.alive() for worker in split.workers)
        wait_for(lambda: echo_or_none(split, "after"), 30, "echo after the restart")
        for i in range(3):
            assert echo(split, "again %d" % i) == "again %d" % i

        report = split.manage("layerstats").stdout
    assert report.startswith("Layer channels_kit.layer.RedisChannelLayer on %s" % split.redis_url)
    sent = re.search(r"^\s+websocket\.receive\s+(\d+)\s+(\d+)\s+(\d+)", report, re.M)
    assert sent, report
    pending, capacity, count = map(int, sent.groups())
    assert (pending, capacity) == (0, 1000) and count >= 4, report
    # The guide's LOGGING: the kit's INFO lines, stamped (here: the SIGTERM drain).
    stamped = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO channels_kit\S* \[pid \d+\] "
                         r"Signal 15: finishing the message in hand", re.M)
    for worker in split.workers:
        assert stamped.search(worker.log()), worker.log()[-2000:]


def echo_or_none(split, text):
    """The echo, or None while daphne or the workers are still reconnecting."""
    try:
        return echo(split, text) == text
    except (OSError, websocket.WebSocketException):
        return None


def test_frames_sent_while_redis_restarts_are_echoed_and_new_sockets_accepted_after(
        stock_python, stock_env):
    """The stock asgi.py's one kit call brings the Redis watch: daphne learns Redis is back.

    Without it daphne held the frames, never let them go, and answered every
    new handshake with 503 until restarted, while /health/ said ok.
    """
    split = Split(workers=2, root=STOCK, python=stock_python, env=stock_env,
                  log_dir=os.path.join(ARTIFACTS, "logs", "stock_project_outage"))
    with split:
        sock = websocket.create_connection(split.ws_url + "/echo/", timeout=10, origin=split.url)
        sock.send("before")
        assert sock.recv() == "before"

        split.redis.stop()
        held = ["held %d" % i for i in range(5)]
        for text in held:
            sock.send(text)
        wait_for(lambda: "Redis unreachable: holding the frames" in split.web.log(), 20,
                 "daphne to hold the frames")
        split.start_redis()

        sock.settimeout(30)
        # Every held frame, once. Not in order: the guide's consumers are not
        # under enforce_ordering, and two workers take the released frames at once.
        assert sorted(sock.recv() for _ in held) == held
        wait_for(lambda: echo_or_none(split, "new"), 30, "a new socket's echo")
        assert echo(split, "another new socket") == "another new socket"
        sock.send("after")
        assert sock.recv() == "after"
        sock.close()
