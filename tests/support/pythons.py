"""The project's venvs on each Python, for tests that need a version they are not running on.

``./run-tests`` builds ``.venv`` (python3) and ``PYTHON=python3.13 ./run-tests``
builds ``.venv-3.13``; CI builds all of them. A test asks for "a Python of at
least / below X.Y with the pins installed" and gets the running interpreter
when it qualifies, else one of those venvs.
"""
import functools
import glob
import os
import subprocess
import sys

from tests.conftest import require_tool
from tests.support.paths import ROOT


@functools.lru_cache(maxsize=None)
def _version(python):
    out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in out.split())


def _candidates():
    yield sys.executable
    for venv in [os.path.join(ROOT, ".venv")] + sorted(glob.glob(os.path.join(ROOT, ".venv-3.*"))):
        python = os.path.join(venv, "bin", "python")
        if os.access(python, os.X_OK):
            yield python


def venv_python(at_least=(0, 0), below=(99, 0)):
    """A pinned interpreter with at_least <= version < below, or skip (fail under STRICT_TOOLS=1)."""
    for python in _candidates():
        if at_least <= _version(python) < below:
            return python
    if at_least > (0, 0):
        wanted, hint = ">= %d.%d" % at_least, "PYTHON=python%d.%d ./run-tests builds one" % at_least
    else:
        wanted, hint = "< %d.%d" % below, "./run-tests builds .venv with python3"
    return require_tool("a project venv on Python " + wanted, None, hint)
