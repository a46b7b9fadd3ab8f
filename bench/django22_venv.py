"""The project's Django 2.2 venv, .venv-django22, for the split on the 2.2 pins.

The project keeps a tested Django 2.2 pin set (requirements-django22.txt) for
deployments still on that line; the bench runs this checkout's split in it
beside the 5.2 one to show what the upgrade costs or saves. The venv is the
one ``REQUIREMENTS=requirements-django22.txt ./run`` uses: scripts/venv.sh
makes it if it is missing and reinstalls only when the pins changed.
"""
import os
import subprocess

from bench import ROOT, channels4_venv

PINS = "requirements-django22.txt"


def ensure():
    """Create or update .venv-django22 (runtime pins only); return its python."""
    env = channels4_venv.clean_env()
    env["REQUIREMENTS"] = PINS
    env.pop("PYTHON", None)  # PYTHON=... would name another venv (.venv-3.X-django22)
    subprocess.run(["bash", "-c", "source scripts/venv.sh requirements.txt"], cwd=ROOT, env=env,
                   check=True)
    return os.path.join(ROOT, ".venv-django22", "bin", "python")
