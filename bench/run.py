"""Benchmark the project's split against other servers, in one run.

    python -m bench                 # full sizes, 3 interleaved rounds
    python -m bench --quick         # small sizes, 1 round: a smoke run
    python -m bench --servers project,stock,reference --scenarios echo,ordered
    python -m bench --servers project,channels4,reference
    python -m bench --servers project,channels4,reference \
        --scenarios echo,broadcast,connect,ordered,bigroom,idle10k     # the README's table
    python -m bench --daphnes 2 --servers project,channels4,reference  # 2 daphnes each
    python -m bench --servers project,project+WORKER_FLAGS=--batch=1   # an A/B of one setting
    python -m bench --servers project,project@/tmp/before              # against another checkout
    python -m bench --servers project,project-django22,channels4 \
        --scenarios echo,broadcast,connect,page                  # Django 5.2 against 2.2
    python -m bench --servers project,no-inspector,inspector-open --scenarios echo
    python -m bench --servers project,cluster --scenarios echo,broadcast

Every server is started here on free 127.0.0.1 ports and stopped at the
end. Scenarios run interleaved (project, reference, project, reference...)
so background load on a shared machine hits all alike; the table shows
medians and the first server's ratio to each other one. ``reference`` is a plain
websockets server (the ceiling). ``stock`` is the same split on unmodified
asgi_redis, database channel sessions and daphne's polling mode, for before
/ after figures. ``channels4`` is stock Channels 4.3 + channels_redis under
one daphne 4 (bench/channels4, installed into .venv-channels4 on first
use): the yardstick, fair only when measured in the same run.
``no-inspector`` is the project's split on the same layer without the
inspector's hooks (``channels_kit.layer.RedisChannelLayer``), and
``inspector-open`` the project's split with one staff ``/inspector/`` socket
reading every event: the cost of the feature closed, and of watching.
``project-django22`` is this checkout's split on the Django 2.2 pins
(requirements-django22.txt, in .venv-django22, made by scripts/venv.sh on
first use): the same code on the older Django, for the upgrade's cost.
``cluster`` is the project's split on a local Redis Cluster of 3 masters
and 3 replicas that it starts and stops itself (``cluster+KEY=value`` with
settings overridden, as for ``project``): its rows give Redis CPU per
operation for the masters together (``redis``), the replicas, and each
master on its own, master 1 being the one the workers' channels live on.
``cluster-no-replicas`` is the same with the 3 masters alone: beside
``cluster``, what feeding the replicas costs the masters.
A scenario a server cannot run (``page`` on a server without an HTTP page)
shows n/a in its column.
"""
import argparse
import asyncio
import datetime
import functools
import os
import resource
import statistics
import sys
import time

from bench import crowds, django22_venv, scenarios
from bench.servers import (Channels4Server, ClusterServer, ProjectServer, ReferenceServer,
                           WatchedProjectServer)

# The sizes of the table in the README; --quick shrinks them. A list is one
# row per entry (bigroom: one row per room size).
FULL = {
    "echo": {"clients": 50, "round_trips": 200},
    "broadcast": {"members": 100, "messages": 100, "window": 10},
    "connect": {"handshakes": 1000, "in_flight": 50},
    "ordered": {"count": 300},
    "page": {"requests": 1000, "clients": 10},
    "bigroom": [{"members": 100, "messages": 100}, {"members": 1000, "messages": 20},
                {"members": 5000, "messages": 4}],
    "idle10k": {"idle": 10000, "connects": 500, "in_flight": 50, "clients": 50,
                "round_trips": 100},
}
QUICK = {
    "echo": {"clients": 10, "round_trips": 50},
    "broadcast": {"members": 20, "messages": 30, "window": 10},
    "connect": {"handshakes": 200, "in_flight": 20},
    "ordered": {"count": 100},
    "page": {"requests": 100, "clients": 5},
    "bigroom": [{"members": 50, "messages": 5}, {"members": 200, "messages": 3}],
    "idle10k": {"idle": 200, "connects": 50, "in_flight": 10, "clients": 5, "round_trips": 20},
}
# Scenarios that open thousands of sockets run one round unless --rounds says otherwise.
CROWDS = set(crowds.SCENARIOS)
# Scenarios measured on servers that never held a crowd before: memory freed
# by an earlier scenario's sockets is handed out again, and the RSS growth
# per idle socket would read low. Every round of these starts its servers anew.
FRESH = {"idle10k"}
# Seconds for a server's workers to settle before the first handshake.
SETTLE = 1
SCENARIOS = dict(scenarios.SCENARIOS, **crowds.SCENARIOS)
# Sockets the bench process and each server may hold (the hard limit here is 20000).
OPEN_FILES = 20000
# Settings overrides for the "stock" split (see channels_example/settings.py).
STOCK_ENV = {
    "CHANNEL_LAYER_BACKEND": "asgi_redis.RedisChannelLayer",
    "CHANNEL_SESSION_STORE": "database",
    "DAPHNE_FLAGS": "--force-sync",
}
# The project's split without the inspector's hooks: the feature absent.
NO_INSPECTOR_ENV = {"CHANNEL_LAYER_BACKEND": "channels_kit.layer.RedisChannelLayer"}
HEADLINE = {"echo": "msg/s", "broadcast": "deliveries/s", "connect": "connects/s",
            "ordered": "ordered s", "page": "requests/s"}
NOT_RUN = "n/a"


def overrides(name):
    """``project+KEY=value+KEY=value`` -> {KEY: value}."""
    return dict(part.split("=", 1) for part in name.split("+")[1:])


def make_server(name, daphnes=1, workers=2):
    """A server by name; ``project+KEY=value+KEY=value`` is the split with settings overridden,
    ``project@PATH`` the split of another checkout (both for A/B runs); ``cluster`` and
    ``cluster+KEY=value`` the split on a local Redis Cluster.

    ``daphnes``: the project's daphnes on one port, and as many Channels 4
    daphnes; ``workers``: the project's runworkers.
    """
    if name.startswith("project@"):  # another checkout of the project, e.g. before a change
        return ProjectServer(name, workers, daphnes, root=name.split("@", 1)[1])
    if name.startswith("project+"):
        return ProjectServer(name, workers, daphnes, env=overrides(name))
    if name == "cluster" or name.startswith("cluster+"):
        return ClusterServer(name, workers, daphnes, env=overrides(name))
    if name == "cluster-no-replicas":
        return ClusterServer(name, workers, daphnes, replicas=0)
    if name == "reference":
        return ReferenceServer()
    if name == "stock":
        return ProjectServer("stock", workers, daphnes, env=STOCK_ENV)
    if name == "channels4":
        return Channels4Server(daphnes)
    if name == "project":
        return ProjectServer("project", workers, daphnes)
    if name == "project-django22":
        return ProjectServer(name, workers, daphnes, python=django22_venv.ensure())
    if name == "no-inspector":
        return ProjectServer("no-inspector", workers, daphnes, env=NO_INSPECTOR_ENV)
    if name == "inspector-open":
        return WatchedProjectServer()
    raise SystemExit("unknown server %r (project, project-django22, stock, channels4, reference, "
                     "no-inspector, inspector-open, cluster, cluster-no-replicas)" % name)


def raise_open_files():
    """Thousands of sockets: the bench and the servers it starts (they inherit it) need the room."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def run_once(server, scenario, sizes, scenario_timeout):
    cpu_before, started = server.cpu_by_role(), time.perf_counter()
    parts_before = server.cpu_by_part()
    coroutine = SCENARIOS[scenario](server, **sizes)
    result = asyncio.run(asyncio.wait_for(coroutine, scenario_timeout))
    if result is None:  # the server has nothing this scenario measures
        return {}
    wall = time.perf_counter() - started
    by_role = {role: seconds - cpu_before.get(role, 0.0)
               for role, seconds in server.cpu_by_role().items()}
    by_part = {part: seconds - parts_before.get(part, 0.0)
               for part, seconds in server.cpu_by_part().items()}
    # A scenario may read the CPU around its measured phase only (not its set-up):
    # the parts, read around the whole run, would not add up to its roles then.
    if "cpu_by_role" in result:
        by_role, wall = result.pop("cpu_by_role"), result.pop("wall") or wall
        by_part = {}
    cpu = sum(by_role.values())
    ops = result.pop("ops") or float("nan")  # nothing done: no CPU per operation to show
    # CPU per operation (round trip, delivery, handshake) is the figure the
    # other processes on a shared machine disturb least.
    result["CPU ms/op"] = 1000 * cpu / ops
    if len(by_role) > 1:
        for role, seconds in by_role.items():
            result["  %s CPU ms/op" % role] = 1000 * seconds / ops
    for part, seconds in by_part.items():  # within a role: not in the total again
        result["    %s CPU ms/op" % part] = 1000 * seconds / ops
    result["server CPU %"] = 100 * cpu / wall
    result["RSS MB"] = server.rss_mb()
    return result


def median_of(results):
    if not results[0]:
        return {}
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


def number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def ratio(a, b):
    if number(a) and number(b) and b:
        return "%.2f" % (a / b)
    return ""


def table(medians, names):
    """One row per metric, one column per server, then the first server / each other."""
    first, others = names[0], names[1:]
    lines = ["| scenario | metric | " + " | ".join(names) + " |" +
             "".join(" %s / %s |" % (first, other) for other in others),
             "|---|---|" + "---|" * (len(names) + len(others))]
    for scenario, per_server in medians.items():
        for metric in in_order(list(per_server[name]) for name in names):
            values = [per_server[name].get(metric, "") if per_server[name] else NOT_RUN
                      for name in names]
            cells = [fmt(v) for v in values] + [ratio(values[0], v) for v in values[1:]]
            lines.append("| %s | %s | %s |" % (scenario, metric, " | ".join(cells)))
    return "\n".join(lines)


def in_order(lists):
    """Every metric of the lists once: the first list's order, each later one's extra metrics
    after the metric that precedes them there (a server's extra role beside the others')."""
    merged = []
    for metrics in lists:
        for index, metric in enumerate(metrics):
            if metric not in merged:
                merged.insert(merged.index(metrics[index - 1]) + 1 if index else 0, metric)
    return merged


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[1])
    parser.add_argument("--quick", action="store_true", help="small sizes and one round")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per scenario (default 3)")
    parser.add_argument("--scenarios", default="echo,broadcast,connect,ordered",
                        help="comma list of echo, broadcast, connect, ordered, page, bigroom, "
                             "idle10k")
    parser.add_argument("--servers", default="project,reference",
                        help="comma list of project, project-django22, stock, channels4, "
                             "reference, no-inspector, inspector-open, cluster, "
                             "cluster-no-replicas "
                             "(first is the ratio's numerator)")
    parser.add_argument("--timeout", type=float, default=180, help="seconds per scenario run")
    parser.add_argument("--daphnes", type=int, default=1,
                        help="the project's daphnes on one port, and as many Channels 4 daphnes")
    parser.add_argument("--workers", type=int, default=2, help="the project's runworkers")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    names = args.servers.split(",")
    wanted = args.scenarios.split(",")
    raise_open_files()
    servers = [make_server(name, args.daphnes, args.workers) for name in names]
    medians = {}
    load_before = os.getloadavg()
    try:
        for server in servers:
            server.start()
        time.sleep(SETTLE)
        for scenario in wanted:
            rounds = args.rounds or (1 if args.quick or scenario in CROWDS else 3)
            remake = (functools.partial(make_server, daphnes=args.daphnes, workers=args.workers)
                      if scenario in FRESH else None)
            for label, size in rows(scenario, sizes[scenario]):
                medians[label] = run_interleaved(servers, scenario, label, size, rounds,
                                                 args.timeout, remake)
    finally:
        for server in servers:
            server.stop()
    print()
    if args.rounds:
        rounds = "%d" % args.rounds
    else:
        rounds = "%d; 1 for %s" % (1 if args.quick else 3, ", ".join(sorted(CROWDS)))
    print("%s UTC; medians of interleaved rounds (%s); %d daphne(s), "
          "%d worker(s) for the project; load average (1 / 5 / 15 min) %s at the start, %s at "
          "the end; servers started anew for each round of %s; sizes %s" % (
              datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), rounds,
              args.daphnes, args.workers, " / ".join("%.1f" % x for x in load_before),
              " / ".join("%.1f" % x for x in os.getloadavg()),
              ", ".join(sorted(FRESH.intersection(wanted))) or "none",
              {s: sizes[s] for s in wanted}))
    print("Django: %s" % ", ".join("%s %s" % (server.name, server.django)
                                   for server in servers if server.django))
    print(ProjectServer.LIMITS_NOTE)
    print(table(medians, names))
    return 0


def rows(scenario, size):
    """(label, sizes) per table row: one per room size for a list of sizes."""
    if isinstance(size, list):
        return [("%s %d" % (scenario, s["members"]), s) for s in size]
    return [(scenario, size)]


def run_interleaved(servers, scenario, label, size, rounds, timeout, remake=None):
    """Each server's result, the median of ``rounds`` rounds that take the servers in turn.

    ``remake`` (a FRESH scenario's) makes a server by name: each run then
    gets one just started, put in ``servers`` in place of the one it stops.
    """
    runs = {server.name: [] for server in servers}
    for _ in range(rounds):
        for index, server in enumerate(servers):
            if remake:
                server.stop()
                servers[index] = server = remake(server.name)
                server.start()
                time.sleep(SETTLE)
            result = run_once(server, scenario, size, timeout)
            runs[server.name].append(result)
            print("  %-12s %-8s %s" % (label, server.name,
                                       {k: fmt(v) for k, v in result.items()}), flush=True)
    return {name: median_of(results) for name, results in runs.items()}


if __name__ == "__main__":
    sys.exit(main())
