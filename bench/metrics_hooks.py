"""What the Prometheus metrics cost one echo, in CPU, on and off.

An echo makes daphne count a frame in and a frame out and makes a worker
time its consumer (two clock reads, a histogram observation). Here those
exact calls run in a loop, in multiprocess mode (every update a write to a
memory-mapped file in ``PROMETHEUS_MULTIPROC_DIR``, as on the split), and
against the no-op stand-ins the kit uses without ``prometheus_client``:
best of 5 interleaved rounds of N echoes. The difference is the metrics'
CPU per echo; the split's whole CPU per echo is in docs/performance.md.

Run from the repo root: ``.venv/bin/python -m bench.metrics_hooks [N]``.
"""
import os
import shutil
import sys
import tempfile

METRICS_DIR = tempfile.mkdtemp(prefix="bench-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = METRICS_DIR  # before prometheus_client is imported

from bench.roundtrip import cpu_microseconds  # noqa: E402
from channels_kit.daphne import flow_control  # noqa: E402
from channels_kit.metrics import families  # noqa: E402
from channels_kit.worker.batches import consumer_name  # noqa: E402

REPLY = ("daphne.response.AbCdEfGhIj!kLmNoPqRsT", {"text": "hello world"})


def consumer(message):
    pass


def echo_metrics(metrics):
    """One echo's metric work, with ``metrics`` standing for channels_kit.metrics.families."""
    seconds = metrics.CONSUMER_SECONDS
    frames_in = metrics.FRAMES_IN

    def echo():
        frames_in.inc()                       # daphne: the frame queued for the workers
        started = flow_control.time.perf_counter()
        consumer(None)                        # worker: the consumer, timed
        seconds.labels(consumer_name(consumer)).observe(flow_control.time.perf_counter() - started)
        flow_control.counted_out(REPLY)       # daphne: the reply taken for the client
    return echo


class Off:
    """The families as the kit has them without prometheus_client."""
    CONSUMER_SECONDS = FRAMES_IN = FRAMES_OUT = HANDSHAKES = families.Unmeasured()


def main(count):
    on = echo_metrics(families)
    off = echo_metrics(Off)
    best = {"off": float("inf"), "on": float("inf")}
    try:
        for _ in range(5):
            flow_control.metrics = Off
            best["off"] = min(best["off"], cpu_microseconds(off, count, runs=1))
            flow_control.metrics = families
            best["on"] = min(best["on"], cpu_microseconds(on, count, runs=1))
    finally:
        flow_control.metrics = families
        shutil.rmtree(METRICS_DIR, ignore_errors=True)
    for name, microseconds in best.items():
        print("metrics %-3s %6.2f us CPU per echo's metric work" % (name, microseconds))
    print("metrics cost %6.2f us CPU per echo" % (best["on"] - best["off"]))


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
