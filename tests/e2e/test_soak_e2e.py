"""The soak, one minute of it: mixed load through a worker SIGKILL and a Redis restart.

``python -m bench.soak`` books every frame a client sent in one row; the
run fails (exit 1) if any frame was lost without a reason it can name. The
test also checks that the faults the reasons rest on happened; the figures
are printed, not asserted.
"""
import re
import subprocess
import sys

import pytest

from tests.support.paths import ROOT

# In .ci/run's first run only (a minute of load: the same on every interpreter).
pytestmark = pytest.mark.once


def rows(output):
    found = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[1].isdigit():
            found[cells[0]] = int(cells[1])
    return found


def test_one_minute_soak_loses_nothing_without_a_reason():
    run = subprocess.run([sys.executable, "-m", "bench.soak", "--minutes", "1", "--period", "30"],
                         cwd=ROOT, capture_output=True, text=True, timeout=240)
    print(run.stdout[-2000:])
    books = rows(run.stdout)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert books["lost without a reason"] == 0
    assert books["delivered"] > 0
    kills, outages = faults(run.stdout)
    assert kills >= 1, "no worker died of SIGKILL during the soak"
    assert outages >= 1, "daphne saw no Redis outage during the soak"


def faults(output):
    """(worker SIGKILLs, Redis outages seen by daphne) from the soak table's head."""
    head = re.search(r"(\d+) worker SIGKILLs, (\d+) Redis outages seen by daphne", output)
    assert head, "the soak printed no table"
    return int(head.group(1)), int(head.group(2))
