"""Benchmark the project's split against other servers, in one run.

    python -m bench                 # issue 7's sizes, 3 interleaved rounds
    python -m bench --quick         # small sizes, 1 round: a smoke run
    python -m bench --servers project,stock,reference --scenarios echo,ordered
    python -m bench --servers project,channels4,reference
    python -m bench --servers project,project+WORKER_FLAGS=--batch=1   # an A/B of one setting

Every server is started here on free 127.0.0.1 ports and stopped at the
end. Scenarios run interleaved (project, reference, project, reference...)
so background load on a shared machine hits all alike; the table shows
medians and the first server's ratio to each other one. ``reference`` is a plain
websockets server (the ceiling). ``stock`` is the same split on unmodified
asgi_redis, database channel sessions and daphne's polling mode, for before
/ after figures. ``channels4`` is stock Channels 4.3 + channels_redis under
one daphne 4 (bench/channels4, installed into .venv-channels4 on first
use): issue 7's yardstick, fair only when measured in the same run.
"""
import argparse
import asyncio
import datetime
import os
import statistics
import sys
import time

from bench import scenarios
from bench.servers import Channels4Server, ProjectServer, ReferenceServer

# issue 7's sizes; --quick divides them.
FULL = {
    "echo": {"clients": 50, "round_trips": 200},
    "broadcast": {"members": 100, "messages": 100, "window": 10},
    "connect": {"handshakes": 1000, "in_flight": 50},
    "ordered": {"count": 300},
}
QUICK = {
    "echo": {"clients": 10, "round_trips": 50},
    "broadcast": {"members": 20, "messages": 30, "window": 10},
    "connect": {"handshakes": 200, "in_flight": 20},
    "ordered": {"count": 100},
}
# Settings overrides for the "stock" split (see channels_example/settings.py).
STOCK_ENV = {
    "CHANNEL_LAYER_BACKEND": "asgi_redis.RedisChannelLayer",
    "CHANNEL_SESSION_STORE": "database",
    "DAPHNE_FLAGS": "--force-sync",
}
HEADLINE = {"echo": "msg/s", "broadcast": "deliveries/s", "connect": "connects/s",
            "ordered": "ordered s"}


def make_server(name):
    """A server by name; ``project+KEY=value+KEY=value`` is the split with settings overridden (A/B)."""
    if name.startswith("project+"):
        return ProjectServer(name, env=dict(part.split("=", 1) for part in name.split("+")[1:]))
    if name == "reference":
        return ReferenceServer()
    if name == "stock":
        return ProjectServer("stock", env=STOCK_ENV)
    if name == "channels4":
        return Channels4Server()
    if name == "project":
        return ProjectServer("project")
    raise SystemExit("unknown server %r (project, stock, channels4, reference)" % name)


def run_once(server, scenario, sizes, scenario_timeout):
    cpu_before, started = server.cpu_by_role(), time.perf_counter()
    coroutine = scenarios.SCENARIOS[scenario](server, **sizes)
    result = asyncio.run(asyncio.wait_for(coroutine, scenario_timeout))
    wall = time.perf_counter() - started
    by_role = {role: seconds - cpu_before.get(role, 0.0)
               for role, seconds in server.cpu_by_role().items()}
    cpu = sum(by_role.values())
    ops = max(result.pop("ops"), 1)
    # CPU per operation (round trip, delivery, handshake) is the figure the
    # other processes on a shared machine disturb least.
    result["CPU ms/op"] = 1000 * cpu / ops
    if len(by_role) > 1:
        for role, seconds in by_role.items():
            result["  %s CPU ms/op" % role] = 1000 * seconds / ops
    result["server CPU %"] = 100 * cpu / wall
    result["RSS MB"] = server.rss_mb()
    return result


def median_of(results):
    merged = {}
    for key in results[0]:
        values = [r[key] for r in results]
        if isinstance(values[0], bool):
            merged[key] = all(values)
        else:
            merged[key] = statistics.median(values)
    return merged


def fmt(value):
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return "%.0f" % value if abs(value) >= 100 else "%.2g" % value if value < 1 else "%.1f" % value
    return str(value)


def ratio(a, b):
    if isinstance(a, (int, float)) and not isinstance(a, bool) and b:
        return "%.2f" % (a / b)
    return ""


def table(medians, names):
    """One row per metric, one column per server, then the first server / each other."""
    first, others = names[0], names[1:]
    lines = ["| scenario | metric | " + " | ".join(names) + " |" +
             "".join(" %s / %s |" % (first, other) for other in others),
             "|---|---|" + "---|" * (len(names) + len(others))]
    for scenario, per_server in medians.items():
        metrics = []  # every server's metrics, in order of first appearance
        for name in names:
            metrics.extend(m for m in per_server[name] if m not in metrics)
        for metric in metrics:
            values = [per_server[name].get(metric, "") for name in names]
            cells = [fmt(v) for v in values] + [ratio(values[0], v) for v in values[1:]]
            lines.append("| %s | %s | %s |" % (scenario, metric, " | ".join(cells)))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[1])
    parser.add_argument("--quick", action="store_true", help="small sizes and one round")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per scenario (default 3)")
    parser.add_argument("--scenarios", default="echo,broadcast,connect,ordered")
    parser.add_argument("--servers", default="project,reference",
                        help="comma list of project, stock, channels4, reference "
                             "(first is the ratio's numerator)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per scenario run")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    rounds = args.rounds or (1 if args.quick else 3)
    names = args.servers.split(",")
    wanted = args.scenarios.split(",")
    servers = [make_server(name) for name in names]
    medians = {}
    try:
        for server in servers:
            server.start()
        time.sleep(1)  # let the workers settle before the first handshake
        for scenario in wanted:
            runs = {name: [] for name in names}
            for _ in range(rounds):
                for server in servers:
                    result = run_once(server, scenario, sizes[scenario], args.timeout)
                    runs[server.name].append(result)
                    print("  %-9s %-8s %s" % (scenario, server.name,
                                              {k: fmt(v) for k, v in result.items()}), flush=True)
            medians[scenario] = {name: median_of(results) for name, results in runs.items()}
    finally:
        for server in servers:
            server.stop()
    print()
    print("%s UTC, %d round(s), medians; load average %s; sizes %s" % (
        datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), rounds,
        " ".join("%.1f" % x for x in os.getloadavg()),
        {s: sizes[s] for s in wanted}))
    print(table(medians, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
