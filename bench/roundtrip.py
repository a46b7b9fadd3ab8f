"""What one Redis round trip costs the process that makes it, in CPU.

Every Channels 1.x message crosses Redis: a worker makes at least two round
trips per echo (take the message, send the reply), daphne two more (send
the frame, take the reply; the latter batched). This prints the client-side
CPU time of one round trip, best of 5 runs of N, against an embedded
redis-server on a free port:

- a raw socket: PING written and its answer read, nothing else (the floor:
  the kernel's loopback and the sleep / wake-up of a blocking read);
- redis-py 2.10 as asgi_redis uses it: PING, and a one-line script called
  the way the tuned layer calls its scripts (EVALSHA).

Run from the repo root: ``.venv/bin/python -m bench.roundtrip [N]``.
"""
import socket
import subprocess
import sys
import time

import redis

from channels_kit.operations.embedded_redis import argv
from channels_kit.layer import HiredisPackedConnection
from channels_kit.testing.split import free_port, port_open, wait_for


def cpu_microseconds(call, count, runs=5):
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        for _ in range(count):
            call()
        best = min(best, (time.process_time() - started) / count * 1e6)
    return best


def raw_ping(port):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def ping():
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        sock.recv(64)
    return ping


def main(count):
    port = free_port()
    server = subprocess.Popen(argv(port), stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: port_open(port), 10, "redis-server")
        client = redis.StrictRedis.from_url("redis://127.0.0.1:%d/0" % port,
                                            connection_class=HiredisPackedConnection)
        script = client.register_script("return 1")
        for name, call in (("raw socket PING", raw_ping(port)),
                           ("redis-py PING", client.ping),
                           ("redis-py script (EVALSHA)", lambda: script(keys=["k"], args=[1]))):
            print("%-27s %5.1f us CPU per round trip" % (name, cpu_microseconds(call, count)))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
