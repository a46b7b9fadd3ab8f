"""The bench's table: a server's parts are shown beside its roles, never counted twice."""
import asyncio

from bench import run
from bench.servers import Server


class TwoRedises(Server):
    """A fake server whose CPU grows by fixed amounts while a scenario runs."""

    name = "fake"

    def __init__(self):
        self.readings = 0

    def cpu_by_role(self):
        self.readings += 1
        return {"daphne": 1.0 * self.readings, "redis": 3.0 * self.readings}

    def cpu_by_part(self):
        return {"redis-master-1": 2.0 * self.readings, "redis-master-2": 1.0 * self.readings}

    def rss_mb(self):
        return 10.0


async def thousand_ops(server):
    await asyncio.sleep(0)
    return {"ops": 1000}


def test_parts_are_shown_but_the_total_is_the_roles(monkeypatch):
    monkeypatch.setitem(run.SCENARIOS, "thousand", thousand_ops)
    result = run.run_once(TwoRedises(), "thousand", {}, 10)
    assert result["CPU ms/op"] == 4.0  # daphne 1 s + redis 3 s over 1000 ops
    assert result["  redis CPU ms/op"] == 3.0
    assert result["    redis-master-1 CPU ms/op"] == 2.0
    assert result["    redis-master-2 CPU ms/op"] == 1.0


def test_a_servers_extra_rows_follow_the_row_before_them():
    assert run.in_order([["msg/s", "  daphne", "  redis", "RSS MB"],
                         ["msg/s", "  daphne", "  redis", "  replicas", "    master-1", "RSS MB"],
                         ["msg/s", "RSS MB"]]) == [
        "msg/s", "  daphne", "  redis", "  replicas", "    master-1", "RSS MB"]


def test_the_table_puts_a_cluster_row_beside_the_roles():
    medians = {"echo": {"project": {"msg/s": 100.0, "  redis CPU ms/op": 0.5, "RSS MB": 300.0},
                        "cluster": {"msg/s": 80.0, "  redis CPU ms/op": 0.6,
                                    "    redis-master-1 CPU ms/op": 0.4, "RSS MB": 350.0}}}
    lines = run.table(medians, ["project", "cluster"]).splitlines()
    assert lines[0] == "| scenario | metric | project | cluster | project / cluster |"
    assert lines[2:] == [
        "| echo | msg/s | 100 | 80.0 | 1.25 |",
        "| echo |   redis CPU ms/op | 0.5 | 0.6 | 0.83 |",
        "| echo |     redis-master-1 CPU ms/op |  | 0.4 |  |",
        "| echo | RSS MB | 300 | 350 | 0.86 |",
    ]
