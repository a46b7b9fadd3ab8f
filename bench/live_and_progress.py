"""Measure the live-data and streaming claims on the real split (never asserted in tests).

1. Live values fan out at once: N sockets on /live/, ``manage.py setvalue``
   run K times as separate processes; latency = time a socket reads the
   frame minus the ``updated_at`` the saving process stamped.
2. ``immediately=True`` streams: on /progress/, the time from sending
   ``{"steps": n}`` to the FIRST frame, with and without ``"buffered"``.

Run: ``env -u REDIS_URL .venv/bin/python -m bench.live_and_progress [sockets] [saves]``
"""
import datetime
import json
import statistics
import subprocess
import sys
import tempfile
import time

import websocket

from bench import ROOT
from channels_kit.testing.split import Split


def connect(split, path):
    return websocket.create_connection(split.ws_url + path, timeout=30, origin=split.url)


def seconds_since(iso):
    saved = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    return datetime.datetime.now(datetime.timezone.utc).timestamp() - saved.timestamp()


def live_fanout(split, sockets, saves):
    subscribers = [connect(split, "/live/") for _ in range(sockets)]
    latencies = []
    for i in range(saves):
        # Read while the command is still running: split.manage() would also
        # count the process's exit, which comes after its save.
        command = subprocess.Popen([sys.executable, "manage.py", "setvalue", "bench", str(i)],
                                   cwd=ROOT, env=split.env, stdout=subprocess.DEVNULL)
        for sock in subscribers:
            payload = json.loads(sock.recv())["payload"]
            latencies.append(seconds_since(payload["data"]["updated_at"]))
        command.wait()
    for sock in subscribers:
        sock.close()
    return latencies


def first_frame_delay(split, steps, buffered):
    sock = connect(split, "/progress/")
    started = time.monotonic()
    sock.send(json.dumps({"steps": steps, "buffered": buffered}))
    sock.recv()
    first = time.monotonic() - started
    for _ in range(steps):
        sock.recv()
    total = time.monotonic() - started
    sock.close()
    return first, total


def ms(seconds):
    return "%.1f ms" % (seconds * 1000)


def main(sockets=50, saves=10):
    with tempfile.TemporaryDirectory() as tmp:
        split = Split(workers=2, log_dir=tmp, env={"DATABASE_PATH": tmp + "/db.sqlite3"})
        with split:
            latencies = sorted(live_fanout(split, sockets, saves))
            print("live fan-out: %d sockets x %d saves: median %s, p95 %s, max %s" % (
                sockets, saves, ms(statistics.median(latencies)),
                ms(latencies[int(len(latencies) * 0.95) - 1]), ms(latencies[-1])))
            for buffered in (False, True):
                runs = [first_frame_delay(split, 50, buffered) for _ in range(5)]
                print("progress 50 steps, %s: first frame median %s, all frames median %s" % (
                    "buffered   " if buffered else "immediately",
                    ms(statistics.median(r[0] for r in runs)),
                    ms(statistics.median(r[1] for r in runs))))


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:]))
