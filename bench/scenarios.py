"""The load: asyncio WebSocket clients (``websockets``) against one server.

Each scenario is bounded in count and in time (every wait has a timeout)
and returns a dict of figures. The same client code drives the project and
the reference server, so their ratio is about the servers alone.

- echo: N clients, each doing M sequential round trips on ``/echo/``.
- broadcast: K members of one ``/chat/<room>/``; one of them sends messages
  with at most ``window`` in flight (sent, not yet back to the sender);
  every member should get every message. Lost = expected deliveries not
  received within the timeout after the last send.
- connect: handshakes (open, then close) on ``/echo/`` with a fixed number
  in flight. In Channels 1.x the handshake completes only when a worker has
  run the connect consumer and daphne has read its accept.
- ordered: one socket sends its messages back to back the instant it opens
  (frames racing each other and their buffered sends, through ``enforce_ordering``); a listener in the room
  times their arrival and checks the order.
- page: GETs of the server's HTTP page (``server.page``: the project's index)
  from a few clients, one connection per request. In Channels 1.x every
  request goes daphne -> Redis -> worker -> Redis -> daphne. Only a 200
  counts as served; any other status, a timeout or a dropped connection is
  a failure. A server with no page (the reference, Channels 4's bench site)
  gets no row of figures: the table shows n/a.
"""
import asyncio
import json
import re
import time
import uuid

from websockets.asyncio.client import connect as ws_connect

RECEIVE_TIMEOUT = 10


def open_socket(server, path, source=None):
    """A client socket; ``source``: the loopback address it connects from (default 127.0.0.1)."""
    extra = {"local_addr": (source, 0)} if source else {}
    return ws_connect(server.ws_url + path, origin=server.origin, compression=None,
                      ping_interval=None, max_queue=None, open_timeout=RECEIVE_TIMEOUT,
                      close_timeout=2, **extra)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


async def echo(server, clients, round_trips):
    latencies = []

    async def client(number):
        async with open_socket(server, "/echo/") as sock:
            for i in range(round_trips):
                frame = "%d-%d" % (number, i)
                started = time.perf_counter()
                await sock.send(frame)
                got = await asyncio.wait_for(sock.recv(), RECEIVE_TIMEOUT)
                latencies.append(time.perf_counter() - started)
                if got != frame:
                    raise AssertionError("echo returned %r for %r" % (got, frame))

    started = time.perf_counter()
    results = await asyncio.gather(*(client(n) for n in range(clients)), return_exceptions=True)
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "msg/s": len(latencies) / elapsed,
        "p50 ms": percentile(latencies, 0.50) * 1000,
        "p95 ms": percentile(latencies, 0.95) * 1000,
        "p99 ms": percentile(latencies, 0.99) * 1000,
        "errors": sum(isinstance(r, BaseException) for r in results),
        "ops": len(latencies),
    }


# The number of a broadcast message ("m17") inside whatever frame a server wraps it in.
MESSAGE_NUMBER = re.compile(r"\bm(\d+)\b")


async def broadcast(server, members, messages, window=10, timeout=RECEIVE_TIMEOUT):
    room = "bench-" + uuid.uuid4().hex[:12]
    sockets = []
    try:
        for _ in range(members):
            sockets.append(await open_socket(server, "/chat/%s/" % room))
        # A round trip through the room from the last member proves every
        # earlier member has joined (the project adds to the group before accept).
        await sockets[-1].send(json.dumps({"text": "warm-up"}))
        for sock in sockets:
            await until_text(sock, "warm-up", timeout)
        heard = [set() for _ in range(members)]  # each member's distinct messages: a copy is no delivery
        last_delivery = [0.0]
        window_free = asyncio.Semaphore(window)

        async def reader(index, sock):
            while len(heard[index]) < messages:
                number = MESSAGE_NUMBER.search(await asyncio.wait_for(sock.recv(), timeout))
                if number is None or number.group(1) in heard[index]:
                    continue
                heard[index].add(number.group(1))
                last_delivery[0] = time.perf_counter()
                if index == 0:
                    window_free.release()

        readers = [asyncio.ensure_future(reader(i, s)) for i, s in enumerate(sockets)]
        started = time.perf_counter()
        try:
            for i in range(messages):
                await asyncio.wait_for(window_free.acquire(), timeout)
                await sockets[0].send(json.dumps({"text": "m%d" % i}))
        except asyncio.TimeoutError:
            pass  # the sender's own copies were lost; the rest count as lost too
        await asyncio.gather(*readers, return_exceptions=True)
        delivered = sum(len(numbers) for numbers in heard)
        elapsed = max(last_delivery[0] - started, 1e-9)
        return {
            "deliveries/s": delivered / elapsed,
            "lost": members * messages - delivered,
            "expected": members * messages,
            "ops": delivered,
        }
    finally:
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


async def until_text(sock, text, timeout):
    while True:
        frame = json.loads(await asyncio.wait_for(sock.recv(), timeout))
        if frame.get("text") == text:
            return


async def connect(server, handshakes, in_flight):
    left = [handshakes]
    failures = [0]

    async def opener():
        while left[0] > 0:
            left[0] -= 1
            try:
                sock = await open_socket(server, "/echo/")
                await sock.close()
            except Exception:
                failures[0] += 1

    started = time.perf_counter()
    await asyncio.gather(*(opener() for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    done = handshakes - failures[0]
    return {"connects/s": done / elapsed, "failed": failures[0], "ops": done}


async def ordered(server, count, timeout=RECEIVE_TIMEOUT):
    room = "ordered-" + uuid.uuid4().hex[:12]
    async with open_socket(server, "/chat/%s/" % room) as listener:
        async with open_socket(server, "/chat/%s/" % room) as sender:
            started = time.perf_counter()
            for i in range(count):
                await sender.send(json.dumps({"text": str(i)}))
            texts = []
            try:
                while len(texts) < count:
                    texts.append(json.loads(await asyncio.wait_for(listener.recv(), timeout))["text"])
            except asyncio.TimeoutError:
                pass
            elapsed = time.perf_counter() - started
    return {
        "ordered s": elapsed,
        "in order": texts == [str(i) for i in range(count)],
        "missing": count - len(texts),
        "ops": len(texts),
    }


async def get(server, path, timeout=RECEIVE_TIMEOUT):
    """The status code of one ``GET path`` on a connection of its own (read to its end)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", server.port),
                                            timeout)
    try:
        writer.write(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n"
                      % (path, server.port)).encode("ascii"))
        # The whole response: a 200 whose body was cut short is not a page served.
        response = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    status = response.split(b"\r\n", 1)[0].split(b" ")
    return int(status[1]) if len(status) > 1 and status[1].isdigit() else None


async def page(server, requests, clients):
    if server.page is None:
        return None
    left = [requests]
    latencies = []
    failures = [0]

    async def client():
        while left[0] > 0:
            left[0] -= 1
            started = time.perf_counter()
            try:
                status = await get(server, server.page)
            except (OSError, asyncio.TimeoutError):
                status = None
            if status == 200:
                latencies.append(time.perf_counter() - started)
            else:
                failures[0] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests/s": len(latencies) / elapsed,
        "p50 ms": percentile(latencies, 0.50) * 1000,
        "p99 ms": percentile(latencies, 0.99) * 1000,
        "failed": failures[0],
        "ops": len(latencies),
    }


SCENARIOS = {"echo": echo, "broadcast": broadcast, "connect": connect, "ordered": ordered,
             "page": page}
