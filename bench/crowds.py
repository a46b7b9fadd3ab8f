"""Scenarios with thousands of sockets: one big room, and many idle sockets beside a few busy ones.

- bigroom: ``members`` sockets join one ``/chat/<room>/``; one member sends
  ``messages`` frames, at most ``window`` in flight (one: each message's
  fan-out is timed alone, not behind the previous ones). Each delivery's
  fan-out time runs from the send to its arrival at that member; a member
  that did not open or lost its socket counts as lost deliveries. The server's CPU
  is read around the sending phase only (joining is the connect scenario's
  business), so CPU per delivery can be compared across room sizes.
- idle10k: ``idle`` sockets open on ``/echo/`` and stay silent; with them
  open, handshakes are timed (``connects``, ``in_flight`` at a time) and
  ``clients`` busy sockets echo ``round_trips`` frames each. RSS per socket
  is the server's growth while the idle sockets opened, divided by them.

The sockets come from many loopback addresses (127.0.0.2, 127.0.0.3, ...),
``PER_ADDRESS`` each, as many clients would: the project's per-address
socket limit stays on. The servers listen on 127.0.0.1 only.
"""
import asyncio
import json
import time
import uuid

from websockets.exceptions import ConnectionClosed, WebSocketException

from bench.scenarios import RECEIVE_TIMEOUT, connect, echo, open_socket, percentile, until_text

# Sockets per client address: under the project's per-address limit (200,
# shared out among the daphnes on one port) with room to spare.
PER_ADDRESS = 40
# Handshakes in flight while a crowd opens.
OPENING = 50


def source_address(index):
    """127.0.0.2 onwards, PER_ADDRESS sockets each (the /8 is all loopback)."""
    number = 2 + index // PER_ADDRESS
    return "127.%d.%d.%d" % (number // 65536 % 256, number // 256 % 256, number % 256)


async def open_crowd(server, path, count):
    """``count`` sockets on ``path``, OPENING handshakes at a time; the ones that opened."""
    sockets = [None] * count
    next_index = [0]

    async def opener():
        while next_index[0] < count:
            index = next_index[0]
            next_index[0] += 1
            try:
                sockets[index] = await open_socket(server, path, source=source_address(index))
            except (OSError, asyncio.TimeoutError, WebSocketException):
                pass  # counted by the caller: fewer sockets than asked for

    try:
        await asyncio.gather(*(opener() for _ in range(OPENING)))
    except BaseException:
        await close_crowd(sockets)
        raise
    return [sock for sock in sockets if sock is not None]


async def close_crowd(sockets):
    opened = [s for s in sockets if s is not None]
    for start in range(0, len(opened), 500):
        await asyncio.gather(*(s.close() for s in opened[start:start + 500]),
                             return_exceptions=True)


async def bigroom(server, members, messages, window=1, timeout=RECEIVE_TIMEOUT):
    room = "big-" + uuid.uuid4().hex[:12]
    sockets = await open_crowd(server, "/chat/%s/" % room, members)
    try:
        # A member that failed to open, or lost its socket before the
        # messages, misses every one of them: counted as lost.
        await sockets[-1].send(json.dumps({"text": "warm-up"}))
        await asyncio.gather(*(until_text(s, "warm-up", timeout) for s in sockets),
                             return_exceptions=True)
        sent_at = {}
        latencies = []
        window_free = asyncio.Semaphore(window)

        async def reader(index, sock):
            heard = set()  # a second copy of a message is no delivery
            while len(heard) < messages:
                text = json.loads(await asyncio.wait_for(sock.recv(), timeout))["text"]
                if text in heard:
                    continue
                heard.add(text)
                latencies.append(time.perf_counter() - sent_at[text])
                if index == 0:
                    window_free.release()

        cpu_before = server.cpu_by_role()
        readers = [asyncio.ensure_future(reader(i, s)) for i, s in enumerate(sockets)]
        started = time.perf_counter()
        try:
            for i in range(messages):
                await asyncio.wait_for(window_free.acquire(), timeout)
                sent_at["m%d" % i] = time.perf_counter()
                await sockets[0].send(json.dumps({"text": "m%d" % i}))
        except (asyncio.TimeoutError, ConnectionClosed):
            pass  # the sender's own copies stopped coming, or it was closed: the rest are lost
        await asyncio.gather(*readers, return_exceptions=True)
        elapsed = time.perf_counter() - started
        cpu = {role: seconds - cpu_before.get(role, 0.0)
               for role, seconds in server.cpu_by_role().items()}
        latencies.sort()
        return {
            "deliveries/s": len(latencies) / elapsed,
            "fan-out p50 ms": percentile(latencies, 0.50) * 1000,
            "fan-out p99 ms": percentile(latencies, 0.99) * 1000,
            "lost": members * messages - len(latencies),
            "expected": members * messages,
            "not opened": members - len(sockets),
            "ops": len(latencies),
            "cpu_by_role": cpu,
            "wall": elapsed,
        }
    finally:
        await close_crowd(sockets)


async def idle10k(server, idle, connects, in_flight, clients, round_trips):
    rss_before = server.rss_mb()
    started = time.perf_counter()
    sockets = await open_crowd(server, "/echo/", idle)  # "idle open" says how many did
    try:
        opened_in = time.perf_counter() - started
        rss_per_socket = (server.rss_mb() - rss_before) * 1024 / idle
        handshakes = await connect(server, connects, in_flight)
        cpu_before, echo_started = server.cpu_by_role(), time.perf_counter()
        echoes = await echo(server, clients, round_trips)
        echo_wall = time.perf_counter() - echo_started
        cpu = {role: seconds - cpu_before.get(role, 0.0)
               for role, seconds in server.cpu_by_role().items()}
        alive = sum(1 for s in sockets if s.close_code is None)
        return {
            "idle open": alive,
            "opened/s": idle / opened_in,
            "RSS KiB/socket": rss_per_socket,
            "connects/s beside": handshakes["connects/s"],
            "connects failed": handshakes["failed"],
            "echo p50 ms beside": echoes["p50 ms"],
            "echo p99 ms beside": echoes["p99 ms"],
            "echo errors": echoes["errors"],
            "ops": echoes["ops"],  # CPU per op: per echo, beside the idle crowd
            "cpu_by_role": cpu,
            "wall": echo_wall,
        }
    finally:
        await close_crowd(sockets)


SCENARIOS = {"bigroom": bigroom, "idle10k": idle10k}
