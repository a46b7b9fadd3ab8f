"""Starting a real split for tests: the shared one, and the few a test owns.

Most e2e tests share the session-wide split (``split`` in conftest.py). A
test starts one of its own only when it breaks the split on purpose (kills
daphne or Redis, stops a worker) or needs settings that cannot coexist with
the shared split's (another JWT leeway, tighter limits, shards). Every
split's logs go to ``test-artifacts/logs/<name>/``, emptied first: the
harness waits for "Listening on channels" in them, which a previous run's
log would already hold.
"""
import contextlib
import json
import os
import shutil
import urllib.error
import urllib.request

import websocket

from channels_kit.testing.split import Split, wait_for
from tests.support.paths import ARTIFACTS, ROOT


@contextlib.contextmanager
def running_split(name, data_dir, env=None, workers=2, **options):
    """Start a split named ``name`` with its database in ``data_dir``; stop it by PID afterwards."""
    log_dir = os.path.join(ARTIFACTS, "logs", name)
    shutil.rmtree(log_dir, ignore_errors=True)
    env = {"DATABASE_PATH": os.path.join(str(data_dir), "db.sqlite3"), **(env or {})}
    split = Split(workers=workers, log_dir=log_dir, env=env, root=ROOT, **options)
    try:
        yield split.start()
    finally:
        split.stop()


def health(split):
    """(status, JSON body) of the split's GET /health/."""
    try:
        with urllib.request.urlopen(split.url + "/health/", timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def all_logs(split):
    """What every process of ``split`` has logged, one after another."""
    return "".join(process.log() for process in split.processes.values())


@contextlib.contextmanager
def broken_split(name, env, data_dir):
    """A split on ``env``'s unreachable Redis (a wrong password, a wrong CA), once /health/ answers 503 naming Redis.

    Started by hand: its workers never get to the "Listening on channels"
    that Split.start waits for.
    """
    log_dir = os.path.join(ARTIFACTS, "logs", name)
    shutil.rmtree(log_dir, ignore_errors=True)
    split = Split(workers=2, log_dir=log_dir, root=ROOT,
                  env=dict(env, DATABASE_PATH=os.path.join(str(data_dir), "db.sqlite3")))
    try:
        split.manage("migrate", "--noinput")
        for worker in split.workers:
            worker.start()
        split.start_web()
        wait_for(lambda: health(split)[0] == 503, 60, "a 503 from /health/")
        status, body = health(split)
        assert status == 503 and body["redis"].startswith("error: ")
        yield split
    finally:
        split.stop()


def connect_to(split, daphne, path):
    """A WebSocket to daphne number ``daphne`` of a split with several, with that daphne's own Origin."""
    origin = "http://127.0.0.1:%d" % split.ports[daphne]
    return websocket.create_connection(split.ws_urls[daphne] + path, origin=origin, timeout=15)
