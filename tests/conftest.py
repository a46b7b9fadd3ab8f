"""Fixtures shared by the whole suite, and the e2e marker, given by the folder.

``split`` is the real thing: redis-server, daphne and two runworkers started
from the Procfile by channels_kit.testing.split (the code path the run command
shares), on free 127.0.0.1 ports, stopped by PID when the session ends.
"""
import importlib.util
import os
import shutil

import pytest
import websocket

from tests.support.pages import CHROMIUM_ARGS, WAIT_MS
from tests.support.splits import running_split

# The terminal tests' fixtures (a real sshd, a staff user), for every module that needs them.
pytest_plugins = ["tests.support.terminal"]

E2E_FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark every test under tests/e2e/ ``e2e``: where a module lives says what it starts.

    tryfirst: ``-m e2e`` / ``-m "not e2e"`` select by marker right after this
    hook, so the marker must be on the items before then.
    """
    for item in items:
        if os.path.commonpath([str(item.path), E2E_FOLDER]) == E2E_FOLDER:
            item.add_marker(pytest.mark.e2e)


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


@pytest.fixture(autouse=True)
def fresh_cache():
    """Tests in one process share Django's cache: none inherits another's failed logins."""
    from django.core.cache import cache
    cache.clear()


@pytest.fixture(scope="session")
def split(tmp_path_factory):
    # The terminal tests write the hosts file once their sshd runs (it is
    # read on every open).
    files = tmp_path_factory.mktemp("split")
    env = {"WORKER_VERBOSITY": "2",
           "TERMINAL_HOSTS_FILE": str(files / "terminal-hosts.toml"),
           "TERMINAL_RECORDINGS_DIR": str(files / "recordings")}
    with running_split("shared", files, env=env) as running:
        yield running


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


@pytest.fixture(scope="module")
def browser():
    chromium = require_tool("chromium", shutil.which("chromium"),
                            "./run-tests installs it as root (scripts/test_tools.sh)")
    spec = importlib.util.find_spec("playwright")
    require_tool("playwright (Python)", spec and spec.origin,
                 "install requirements-test.txt")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def open_page(browser):
    """Open a page in a fresh browser context (its own cookies, like a second person)."""
    contexts = []

    def page_at(base_url, path):
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        response = page.goto(path)
        assert response.status == 200, "%s answered %s" % (path, response.status)
        return page

    yield page_at
    for context in contexts:
        context.close()


@pytest.fixture
def person(browser, split):
    """A person: a fresh browser context, with a log of the WebSockets its pages open."""
    contexts = []

    def new_person():
        context = browser.new_context(base_url=split.url)
        context.set_default_timeout(WAIT_MS)
        context.sockets = []  # the URL of every WebSocket its pages open
        contexts.append(context)
        return context

    yield new_person
    for context in contexts:
        context.close()
