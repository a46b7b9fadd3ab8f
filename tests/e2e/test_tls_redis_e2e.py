"""The whole split on a TLS-only Redis as an ACL user, as a managed Redis serves it.

Debian's redis-server listens on a TLS port only, asks for a client
certificate, and knows one user allowed the kit's keys alone (the default
user is off). Daphne (Twisted), two workers, channel sessions, health and
layerstats reach it through one ``rediss://`` REDIS_URL, from a Split and
from ``./run``; the certificates are made by the test. A wrong password and
a wrong CA each get a 503 naming Redis and a log line in daphne and in each
worker saying what is wrong, and the password is never shown.
"""
import json
import os
import subprocess
import time

import pytest
import websocket

from channels_kit.testing.split import free_port, wait_for
from tests.support import runs
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.splits import all_logs, broken_split, health, running_split
from tests.support.tls_redis import PASSWORD, TlsRedis, stranger_ca
from tests.support.wire import recv_json, say


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    server = TlsRedis(tmp_path_factory.mktemp("tls-redis"), str(tmp_path_factory.mktemp("tls-log")))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tls_split(tls_redis, tmp_path_factory):
    with running_split("tls", tmp_path_factory.mktemp("tls"),
                       env={"REDIS_URL": tls_redis.url()}) as running:
        yield running


def connect(split, path, deadline=None):
    """Open a socket, retrying while daphne refuses connects (Redis away) until ``deadline``."""
    while True:
        try:
            return websocket.create_connection(split.ws_url + path, origin=split.url, timeout=10)
        except (websocket.WebSocketException, OSError):
            if deadline is None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_echo_over_tls(tls_split):
    sock = connect(tls_split, "/echo/")
    sock.send("over TLS")
    assert sock.recv() == "over TLS"
    sock.close()


def test_a_room_hears_each_member_in_order(tls_split):
    alice, bob = connect(tls_split, "/chat/tls-room/"), connect(tls_split, "/chat/tls-room/")
    for n in range(20):
        say(alice, "line %d" % n)
    assert [recv_json(bob)["text"] for _ in range(20)] == ["line %d" % n for n in range(20)]
    alice.close()
    bob.close()


def test_health_and_layerstats_answer_without_the_password(tls_split):
    assert health(tls_split) == (200, {"redis": "ok", "db": "ok"})
    shown = tls_split.manage("layerstats").stdout
    assert "rediss://chan:***@127.0.0.1" in shown
    assert PASSWORD not in shown
    assert PASSWORD not in all_logs(tls_split)


def test_frames_sent_while_the_tls_redis_restarts_reach_the_room_in_order(tls_split, tls_redis):
    alice, bob = connect(tls_split, "/chat/tls-held/"), connect(tls_split, "/chat/tls-held/")
    say(alice, "before")
    assert recv_json(bob)["text"] == "before"
    tls_redis.stop()
    for n in range(10):
        say(alice, "held %d" % n)
        time.sleep(0.1)
    tls_redis.start()
    bob.settimeout(30)
    assert [recv_json(bob)["text"] for _ in range(10)] == ["held %d" % n for n in range(10)]
    say(alice, "after")
    assert recv_json(bob)["text"] == "after"
    alice.close()
    bob.close()


def broken_split_says(name, url, tmp_path, expected_line, password=PASSWORD):
    """A split on ``url`` answers /health/ with a 503 naming Redis; daphne and each worker say why."""
    with broken_split(name, {"REDIS_URL": url}, tmp_path) as split:
        for process in split.workers + split.webs:
            wait_for(lambda: expected_line in process.log(), 30,
                     "%s to log %s" % (process.name, expected_line))
        # Once, however many connections daphne has and however often they retry.
        assert split.web.log().count("refused daphne's connection") == 1
        assert password not in all_logs(split) + json.dumps(health(split)[1])


def test_a_wrong_password_is_a_503_and_a_log_line(tls_redis, tmp_path):
    wrong = "a-wrong-guess-4d1e"
    broken_split_says("tls-wrong-password", tls_redis.url(password=wrong), tmp_path,
                      "WRONGPASS", password=wrong)


def test_a_server_certificate_from_another_ca_is_a_503_and_a_log_line(tls_redis, tmp_path):
    broken_split_says("tls-wrong-ca", tls_redis.url(ca=stranger_ca(tmp_path / "stranger")),
                      tmp_path, "certificate verify failed")


def test_run_serves_on_the_given_tls_redis_and_shows_no_password(tls_redis, tmp_path):
    port = free_port()
    log_path = os.path.join(ARTIFACTS, "logs", "run-tls.log")
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_PATH=str(tmp_path / "db.sqlite3"), RUN_ENV_FILE=str(tmp_path / "run.env"),
               PORT=str(port), REDIS_URL=tls_redis.url())
    with open(log_path, "wb") as log:
        run = subprocess.Popen([os.path.join(ROOT, "run")], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: runs.health(port) or run.poll() is not None, 90, "./run to serve")
        assert run.poll() is None
        echo = websocket.create_connection("ws://127.0.0.1:%d/echo/" % port, timeout=20,
                                           origin="http://127.0.0.1:%d" % port)
        echo.send("through ./run on TLS")
        assert echo.recv() == "through ./run on TLS"
        echo.close()
    finally:
        runs.stop_run(run)
    with open(log_path, errors="replace") as f:
        output = f.read()
    assert "layer: rediss://chan:***@127.0.0.1:%d/0" % tls_redis.port in output
    assert PASSWORD not in output


def test_the_split_serves_once_the_password_it_was_given_becomes_right(tls_redis, tmp_path):
    later = "a-later-password-7b2a"
    with broken_split("tls-password-fixed", {"REDIS_URL": tls_redis.url(password=later)},
                      tmp_path) as split:
        wait_for(lambda: "refused daphne's connection" in split.web.log(), 30, "daphne's refusal")
        tls_redis.admin().execute_command("ACL", "SETUSER", "chan", ">" + later)
        try:
            wait_for(lambda: health(split)[0] == 200, 60, "a 200 from /health/")
            sock = connect(split, "/echo/", deadline=time.monotonic() + 30)
            sock.send("after the fix")
            assert sock.recv() == "after the fix"
            sock.close()
        finally:
            tls_redis.admin().execute_command("ACL", "SETUSER", "chan", "<" + later)
