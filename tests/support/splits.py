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

from channels_kit.testing.split import Split
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
