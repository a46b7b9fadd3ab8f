"""The kit's how-to and the stock project that follows it hold the same code.

docs/using-the-kit.md is what a 1.x maintainer copies; tests/support/stock_project is
what the stock-project e2e tests run from the wheel. Every settings and
asgi.py snippet of the page must appear in the project as written (with the
page's ``myproject`` as the project's ``echosite``), so neither can drift.
"""
import os
import re
import textwrap

import pytest

from tests.support.paths import ROOT

GUIDE = os.path.join(ROOT, "docs", "using-the-kit.md")
PROJECT = os.path.join(ROOT, "tests", "support", "stock_project", "echosite")
# The snippet that starts with each of these, and the project file that must hold it.
SNIPPETS = {
    "CHANNEL_LAYERS = {": "settings.py",
    "CHANNEL_SESSION_ENGINE": "settings.py",
    "LOGGING = {": "settings.py",
    "import os\nimport channels_kit.daphne": "asgi.py",
}


def python_blocks():
    with open(GUIDE) as f:
        text = f.read()
    return [textwrap.dedent(block) for block in re.findall(r"```python\n(.*?)```", text, re.S)]


@pytest.mark.parametrize("start, filename", sorted(SNIPPETS.items()))
def test_each_snippet_is_in_the_stock_project_as_written(start, filename):
    found = [block for block in python_blocks() if block.startswith(start)]
    assert len(found) == 1, "docs/using-the-kit.md has %d snippets starting %r" % (len(found), start)
    with open(os.path.join(PROJECT, filename)) as f:
        source = f.read()
    assert found[0].replace("myproject", "echosite") in source


def test_no_snippet_reads_redis_url_without_a_default():
    """``os.environ["REDIS_URL"]`` made every manage.py command fail without it (KeyError)."""
    for block in python_blocks():
        assert 'os.environ["REDIS_URL"]' not in block
