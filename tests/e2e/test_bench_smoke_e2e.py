"""The bench still runs against the project: a quick run, as docs/performance.md shows it.

Figures are not asserted (performance is measured, not tested); what is
checked is what a reader of the table relies on: every scenario ran, the
ratio column is there, and the correctness columns say nothing was lost.
"""
import re
import subprocess
import sys

import django
import pytest

from tests.support.paths import ROOT

# In .ci/run's first run only (the bench against its references: figures, not interpreter behaviour).
pytestmark = pytest.mark.once


def row(table, scenario, metric):
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[:2] == [scenario, metric]:
            return cells[2:]
    raise AssertionError("no %s / %s row in:\n%s" % (scenario, metric, table))


def test_quick_bench_against_the_reference():
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--servers", "project,reference",
                          "--scenarios", "echo,broadcast,connect,ordered,bigroom,idle10k"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    table = run.stdout[run.stdout.index("| scenario |"):]
    assert table.splitlines()[0].split("|")[3:6] == [" project ", " reference ",
                                                     " project / reference "]
    assert float(row(table, "echo", "msg/s")[0]) > 0
    assert row(table, "echo", "errors")[:2] == ["0", "0"]
    assert row(table, "broadcast", "lost")[:2] == ["0", "0"]
    assert row(table, "connect", "failed")[:2] == ["0", "0"]
    assert row(table, "ordered", "in order")[:2] == ["yes", "yes"]
    for role in ("daphne", "workers", "redis"):
        assert float(row(table, "echo", "%s CPU ms/op" % role)[0]) > 0
    for members in (50, 200):  # the quick room sizes
        assert row(table, "bigroom %d" % members, "lost")[:2] == ["0", "0"]
        assert float(row(table, "bigroom %d" % members, "fan-out p99 ms")[0]) > 0
    assert row(table, "idle10k", "idle open")[:2] == ["200", "200"]  # all still open at the end
    assert row(table, "idle10k", "connects failed")[:2] == ["0", "0"]
    assert row(table, "idle10k", "echo errors")[:2] == ["0", "0"]


def test_quick_bench_of_the_split_on_django_22_beside_52():
    """The README's upgrade table: the same checkout on both pin sets, and a page through a worker.

    project-django22 makes .venv-django22 from requirements-django22.txt on
    first use. The reference server has no HTTP page: its page column says n/a.
    """
    run = subprocess.run([sys.executable, "-m", "bench", "--quick",
                          "--servers", "project,project-django22,reference",
                          "--scenarios", "echo,broadcast,connect,page"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    versions = re.search(r"^Django: project (\S+), project-django22 (\S+)$", run.stdout, re.M)
    assert versions, run.stdout
    # project runs on the bench's own venv (5.2 in the README's run; CI's 2.2 run uses 2.2).
    assert versions.group(1) == django.get_version(), versions
    assert versions.group(2).startswith("2.2."), versions
    table = run.stdout[run.stdout.index("| scenario |"):]
    assert row(table, "echo", "errors")[:3] == ["0", "0", "0"]
    assert row(table, "broadcast", "lost")[:3] == ["0", "0", "0"]
    assert row(table, "connect", "failed")[:3] == ["0", "0", "0"]
    # Every one of the quick run's requests answered 200 on both, none on the reference.
    assert row(table, "page", "failed")[:3] == ["0", "0", "n/a"]
    served = row(table, "page", "requests/s")
    assert float(served[0]) > 0 and float(served[1]) > 0 and served[2] == "n/a"
    for role in ("daphne", "workers", "redis"):
        assert float(row(table, "page", "%s CPU ms/op" % role)[1]) > 0


def test_quick_bench_of_the_split_on_a_local_cluster():
    """The cluster column: a 3+3 cluster the bench starts itself, Redis CPU per master.

    Master 1 serves the layer's first shard, where the workers' channels
    live, so every echo passes through it and its row cannot read zero.
    """
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--servers", "cluster",
                          "--scenarios", "echo"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^  cluster: redis-master-1 \(port \d+\) serves shards 0,", run.stdout, re.M), \
        run.stdout
    table = run.stdout[run.stdout.index("| scenario |"):]
    assert table.splitlines()[0].split("|")[3:4] == [" cluster "]
    assert float(row(table, "echo", "msg/s")[0]) > 0
    assert row(table, "echo", "errors") == ["0"]
    for role in ("daphne", "workers", "redis", "replicas"):
        float(row(table, "echo", "%s CPU ms/op" % role)[0])  # a figure, for every role
    masters = [float(row(table, "echo", "redis-master-%d CPU ms/op" % n)[0]) for n in (1, 2, 3)]
    assert masters[0] > 0, table
