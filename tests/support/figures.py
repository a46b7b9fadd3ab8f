"""Figures the fault tests measure, kept in test-artifacts/ for the docs (never asserted)."""
import json
import os

from tests.support.paths import ARTIFACTS


def record(file_name, name, value):
    """Set ``name`` to ``value`` in test-artifacts/<file_name>, keeping the other figures there."""
    path = os.path.join(ARTIFACTS, file_name)
    figures = {}
    if os.path.exists(path):
        with open(path) as f:
            figures = json.load(f)
    figures[name] = value
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(path, "w") as f:
        json.dump(figures, f, indent=2, sort_keys=True)
