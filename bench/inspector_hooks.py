"""What the inspector's hooks cost one layer operation, in CPU, closed and open.

The echo figures (``python -m bench --servers project,no-inspector,...``)
carry the whole split's noise; this isolates the hooks. First the hooks
alone, over a stub layer that does nothing (a send and a receive of one
small message, the two operations every hop makes); then against an
embedded redis-server on a free port, CPU of the whole process (the Tap's
shipping thread included), best of 5 interleaved rounds of N pairs:

- ``channels_kit.layer.RedisChannelLayer``: the layer without the hooks;
- ``InspectedRedisChannelLayer``, no inspector registered: the hooks read
  one flag and return;
- the same with a registered inspector: up to ``Tap.rate`` events a second
  are copied, queued, redacted and shipped to the Redis stream (no relay
  reads it here); the rest are refused, as on a busy split.

Run from the repo root: ``.venv/bin/python -m bench.inspector_hooks [N]``.
"""
import os
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_example.settings")

import django  # noqa: E402

django.setup()

from bench.roundtrip import cpu_microseconds  # noqa: E402
from channels_kit.operations.embedded_redis import argv  # noqa: E402
from channels_kit.inspector.layer import InspectedLayer, InspectedRedisChannelLayer  # noqa: E402
from channels_kit.layer import RedisChannelLayer  # noqa: E402
from channels_kit.testing.split import free_port, port_open, wait_for  # noqa: E402


class Stub:
    """A layer that does nothing, so only the hooks above it cost anything."""

    def send(self, channel, message):
        pass

    def receive(self, channels, block=False):
        return "websocket.receive", MESSAGE


class HookedStub(InspectedLayer, Stub):
    def __init__(self):  # the Tap's state without its thread: nothing is watching
        self.inspector = type("ClosedTap", (), {"watching": False, "role": "worker"})()
        self.quiet_sockets = {}


MESSAGE = {"reply_channel": "daphne.response.AbCdEfGhIj!kLmNoPqRsT", "path": "/echo/",
           "order": 1, "text": "hello world"}


def send_and_receive(layer):
    def pair():
        layer.send("websocket.receive", MESSAGE)
        layer.receive(["websocket.receive"])
    return pair


def watched(layer):
    layer.inspector.watch("daphne.response.BenchBench!watcher")
    while not layer.inspector.watching:
        time.sleep(0.05)
    return layer


def best_interleaved(figures, count, rounds=5):
    """{name: the lowest CPU microseconds per call over ``rounds`` interleaved rounds}."""
    best = {name: float("inf") for name, _ in figures}
    for _ in range(rounds):
        for name, call in figures:
            best[name] = min(best[name], cpu_microseconds(call, count, runs=1))
    return best


def show(best):
    for name, microseconds in best.items():
        print("%-34s %7.2f us CPU per send + receive" % (name, microseconds))


def main(count):
    show(best_interleaved([("stub layer", send_and_receive(Stub())),
                           ("stub layer + hooks, none open", send_and_receive(HookedStub()))],
                          count * 20))
    port = free_port()
    server = subprocess.Popen(argv(port), stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(port), 10, "redis-server")
        url = "redis://127.0.0.1:%d/0" % port
        closed = InspectedRedisChannelLayer(hosts=[url])
        show(best_interleaved([("Redis layer without the hooks",
                                send_and_receive(RedisChannelLayer(hosts=[url]))),
                               ("Redis layer + hooks, none open", send_and_receive(closed))],
                              count))
        closed.inspector.stop()
        opened = watched(InspectedRedisChannelLayer(hosts=[url]))
        show(best_interleaved([("Redis layer + hooks, one open", send_and_receive(opened))],
                              count))
        opened.inspector.stop()
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
