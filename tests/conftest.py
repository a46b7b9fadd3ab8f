"""Fixtures shared by the whole suite.

``split`` is the real thing: redis-server, daphne and two runworkers started
from the Procfile by channels_kit.testing.split (the code path the run command
shares), on free 127.0.0.1 ports, stopped by PID when the session ends.
"""
import os

import pytest
import websocket

from channels_kit.testing.split import Split
from tests.paths import ARTIFACTS


def require_tool(name, path, hint=""):
    """Return ``path`` if the tool was found; otherwise skip, or fail under STRICT_TOOLS=1.

    A machine without, say, Chromium can still run the rest of the suite, but
    CI (``.ci/run`` sets STRICT_TOOLS=1) must not pass by skipping: there a
    missing tool is a broken install and the test fails.
    """
    if path:
        return path
    reason = "%s not found%s" % (name, "; " + hint if hint else "")
    if os.environ.get("STRICT_TOOLS") == "1":
        pytest.fail(reason + " (STRICT_TOOLS=1: missing tools are failures)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def split(tmp_path_factory):
    db = tmp_path_factory.mktemp("split") / "db.sqlite3"
    env = {"DATABASE_PATH": str(db), "WORKER_VERBOSITY": "2"}
    running = Split(workers=2, log_dir=os.path.join(ARTIFACTS, "logs"), env=env)
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
def ws(split):
    """Open WebSockets to the split; every socket opened is closed afterwards."""
    opened = []

    def connect(path, origin=None, **kwargs):
        sock = websocket.create_connection(
            split.ws_url + path, timeout=10,
            origin=origin or split.url, **kwargs
        )
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        sock.close()
