"""asgiref 1.1.2's conformance suite and its settings, shared by the in-memory and Redis runs.

The suite is the published asgiref 1.1.2's ``conformance`` module. On the
Django 2.2 pins it is installed (``asgiref.conformance``). On the 5.2 pins
asgiref is 3.x, which has no such module, so it is fetched once from the
package index (``pip download asgiref==1.1.2 --no-deps``) into build/, which
git ignores, and loaded from there by path: only that one self-contained
module, never the rest of asgiref 1.x (the kit supplies those names itself).
"""
import glob
import importlib.util
import os
import subprocess
import sys
import zipfile

import pytest

from tests.support.paths import ROOT

# The small expiry / capacity the suite's timing tests need.
SUITE_CONFIG = {"expiry": 1, "group_expiry": 2, "capacity": 5}

UPSTREAM = "asgiref==1.1.2"
CACHE = os.path.join(ROOT, "build", "asgiref-1.1.2")


def _fetched_module_path():
    """build/asgiref-1.1.2/conformance.py, downloading the wheel the first time."""
    path = os.path.join(CACHE, "conformance.py")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                        "--no-deps", "--only-binary", ":all:", "-d", CACHE, UPSTREAM],
                       check=True, capture_output=True, timeout=300)
        wheel, = glob.glob(os.path.join(CACHE, "asgiref-1.1.2-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            source = archive.read("asgiref/conformance.py")
        with open(path + ".part", "wb") as out:
            out.write(source)
        os.replace(path + ".part", path)
    return path


def conformance():
    """The conformance module: installed asgiref 1.x's, else the fetched copy."""
    if importlib.util.find_spec("asgiref.conformance") is not None:
        from asgiref import conformance as installed
        return installed
    try:
        path = _fetched_module_path()
    except (subprocess.SubprocessError, OSError, ValueError) as error:
        reason = "asgiref 1.1.2's conformance suite could not be fetched (%s)" % error
        if os.environ.get("STRICT_TOOLS") == "1":
            pytest.fail(reason + " (STRICT_TOOLS=1)", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    spec = importlib.util.spec_from_file_location("asgiref_1_1_2_conformance", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
