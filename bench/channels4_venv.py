"""The separate virtualenv the channels4 server runs in: .venv-channels4 at the repo root.

Channels 4 needs Django 5 and a newer asgiref than the project's pinned
Channels 1.x stack, so the two cannot share the project's ``.venv``. The
bench makes this one on first use from bench/channels4/requirements.txt and,
like scripts/venv.sh, reinstalls only when that file has changed since the
last successful install (a stamp file holds the installed copy).
"""
import os
import subprocess

from bench import ROOT

VENV = os.path.join(ROOT, ".venv-channels4")
REQUIREMENTS = os.path.join(ROOT, "bench", "channels4", "requirements.txt")
STAMP = os.path.join(VENV, ".installed-requirements.txt")


def clean_env():
    """The caller's environment without whatever points Python at the project's venv."""
    env = dict(os.environ)
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV"):
        env.pop(name, None)
    return env


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def ensure():
    """Create or update .venv-channels4; return its bin directory."""
    bin_dir = os.path.join(VENV, "bin")
    python = os.path.join(bin_dir, "python")
    env = clean_env()
    if not os.access(python, os.X_OK):
        print("bench: creating %s" % VENV, flush=True)
        subprocess.run(["python3", "-m", "venv", VENV], cwd=ROOT, env=env, check=True)
    wanted = read(REQUIREMENTS)
    if read(STAMP) != wanted:
        print("bench: installing %s into %s" % (REQUIREMENTS, VENV), flush=True)
        pip = [python, "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run(pip + ["install", "-r", REQUIREMENTS], cwd=ROOT, env=env, check=True)
        subprocess.run(pip + ["check"], cwd=ROOT, env=env, check=True)
        with open(STAMP, "wb") as f:
            f.write(wanted)
    return bin_dir
