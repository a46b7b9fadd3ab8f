"""CPU per echo message of the worker loop, measured in this process: stock loop against batches.

A whole-split bench on a shared 2-core machine moves with everyone else's
load; a worker loop run in-process, interleaved A/B, shows what a change to
the loop is worth in CPU. Each round queues N ``websocket.receive`` echo
frames (as daphne would: 50 sockets, one reply channel each) on an embedded
redis-server, then lets one worker drain them, and reads the process's CPU
time and the redis-server's (psutil) around the drain:

- ``stock``: channels 1.1.8's ``Worker`` (one receive and one send trip per
  message);
- ``batch K``: the kit's ``BatchWorker`` taking up to K messages per trip;
- ``batch K walk`` (with ``walk`` on the command line): the same, routing
  every message through ``Router.match`` instead of the route cache.

Run from the repo root: ``.venv/bin/python -m bench.worker_loop [N] [ROUNDS] [K,K...] [walk]``.
The queue is full when each drain starts, the worker loop's best case; under
a live echo load the queue is often short and batches smaller.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

import psutil

from channels_kit.operations.embedded_redis import argv
from channels_kit.testing.split import free_port, port_open, wait_for

SOCKETS = 50


def setup_django(redis_url, tmp):
    os.environ.update(REDIS_URL=redis_url, DATABASE_PATH=os.path.join(tmp, "db.sqlite3"),
                      CHANNEL_CAPACITY="100000", LOG_LEVEL="WARNING",
                      DJANGO_SETTINGS_MODULE="channels_example.settings")
    import logging

    import channels.asgi
    from channels import channel_layers
    channels.asgi.get_channel_layer()  # sets Django up
    logging.getLogger("django.channels").setLevel(logging.WARNING)
    return channel_layers["default"]  # the layer with its router, as runworker gets it


def queue_frames(layer, count):
    frames = [("websocket.receive", {"reply_channel": "daphne.response.bench!s%d" % (i % SOCKETS),
                                     "path": "/echo/", "order": i // SOCKETS + 1,
                                     "text": "frame %d" % i}) for i in range(count)]
    for start in range(0, count, 500):
        layer.send_many(frames[start:start + 500])


def drain(worker_class, layer, count, batch):
    from channels.worker import Worker

    done = [0]

    def counted(channel, message):
        done[0] += 1
        if done[0] >= count:
            worker.termed = True

    worker = worker_class(channel_layer=layer, callback=counted, signal_handlers=False)
    if worker_class is not Worker:
        worker.batch = batch
    worker.run()


def one_round(name, layer, redis_process, count):
    from channels.worker import Worker

    from channels_kit.worker.batches import BatchWorker

    class WalkingRoutes(BatchWorker):
        routing = staticmethod(lambda router: router)  # no route cache: the A/B of it

    raw = layer.channel_layer
    queue_frames(raw, count)
    batch = 1 if name == "stock" else int(name.split()[1])
    worker_class = Worker if name == "stock" else BatchWorker
    if name.endswith("walk"):
        worker_class = WalkingRoutes
    cpu, redis_cpu = time.process_time(), sum(redis_process.cpu_times()[:2])
    drain(worker_class, layer, count, batch)
    cpu = time.process_time() - cpu
    redis_cpu = sum(redis_process.cpu_times()[:2]) - redis_cpu
    for connection in raw._connection_list:
        connection.delete(raw.prefix + "daphne.response.bench!")
    return 1e6 * cpu / count, 1e6 * redis_cpu / count


def main(count=2000, rounds=5, batches=(4, 8, 16), walk=False):
    port = free_port()
    server = subprocess.Popen(argv(port), stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(port), 10, "redis-server")
        with tempfile.TemporaryDirectory(prefix="bench-worker-") as tmp:
            layer = setup_django("redis://127.0.0.1:%d/0" % port, tmp)
            names = ["stock"] + ["batch %d" % k for k in batches]
            if walk:  # the same batches routing through Router.match every time
                names += ["batch %d walk" % k for k in batches]
            results = {name: [] for name in names}
            one_round("stock", layer, psutil.Process(server.pid), count)  # warm-up
            for _ in range(rounds):
                for name in names:  # interleaved
                    results[name].append(one_round(name, layer, psutil.Process(server.pid), count))
        print("%d echo frames per drain, %d interleaved rounds, medians (min-max)" % (count, rounds))
        print("%-14s %26s %26s" % ("loop", "worker CPU us/message", "redis CPU us/message"))
        for name in names:
            worker = [r[0] for r in results[name]]
            redis_ = [r[1] for r in results[name]]
            print("%-14s %12.1f (%5.1f-%5.1f) %12.1f (%5.1f-%5.1f)" % (
                name, statistics.median(worker), min(worker), max(worker),
                statistics.median(redis_), min(redis_), max(redis_)))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(int(args[0]) if args else 2000, int(args[1]) if len(args) > 1 else 5,
                  tuple(int(k) for k in args[2].split(",")) if len(args) > 2 else (4, 8, 16),
                  walk="walk" in args[3:]))
