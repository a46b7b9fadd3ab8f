"""Soak: mixed load on the split while a worker is SIGKILLed and Redis restarted, then the books.

    .venv/bin/python -m bench.soak --minutes N

Starts its own split (Redis + daphne + 2 workers) on free ports. For N
minutes, room speakers (20 frames/s each, a listener per room), echo clients
doing round trips and a stream of short-lived connections run together; every
``--period`` seconds one worker is SIGKILLed (and started again a second
later), and half a period later Redis is stopped for 2 s and started again.

Every frame a client sent is then put in one row:

- delivered: the room's listener heard it, the echo came back;
- refused, with the reason the client was given (an error frame, a close
  code, an HTTP status on connect);
- lost with a SIGKILLed worker, sender told: a room frame the killed worker
  had taken (Channels 1.x is at-most-once; nothing can bring it back). The
  kit's workers notice the gap it leaves in ``enforce_ordering``, tell the
  speaker (``message-lost``) and run the frames parked behind it;
- held by a SIGKILLed worker, not told: the same for a frame with no
  ordering behind it (an echo), or on a socket gone before it could be told.
  If a room frame's later frames were never run, they are counted on their
  own row (parked behind it). A kill explains at most one batch of frames
  (``BatchWorker.batch``), from any sockets: what the worker had in hand;
- inside Redis when it stopped: sent just before the stop and never seen
  again. The embedded Redis keeps nothing on disk, so whatever was queued
  in it (a frame waiting for a worker, a reply waiting for daphne) went
  with it; daphne only holds what it could not hand to Redis;
- lost without a reason: everything else. The exit status is 1 unless this
  is 0.

Slowness is not loss: a client only reconnects when its socket closes (or,
for a speaker, when none of its own frames came back for a while), and an
echo waits ``GIVE_UP_SECONDS`` for its answer. The report ends with the
slowest delivery, so a stalled machine shows there. A failing run also
lists, per socket, the frames lost without a reason and what daphne and
the workers warned about.
"""
import argparse
import collections
import json
import os
import signal
import tempfile
import threading
import time

import websocket

from channels_kit.testing.split import Split
from channels_kit.worker.batches import BatchWorker

ROOMS = 4
ECHOERS = 2
SPEAKER_INTERVAL = 0.05
# A speaker hearing none of its own frames this long reconnects, as a page
# would. Longer than the workers take to find an ordering gap (about 3.5 s).
# Reconnecting loses nothing: what the old socket sent is still run.
STALL_SECONDS = 6.0
# How long an echo or a short-lived socket waits for its answer before the
# frame counts as lost. A late answer is still a delivery (the report gives the
# slowest), so a stalled machine shows as slowness, not as loss.
GIVE_UP_SECONDS = 30.0
# After the load stops: time for held and queued frames to arrive.
SETTLE_SECONDS = 8.0
# A frame sent this long before a worker died of SIGKILL (seconds) may be one it held;
# one sent after cannot be.
KILL_WINDOW = 2.0
# A frame sent this long before Redis was gone (seconds) may still have been inside it;
# daphne holds one sent after.
IN_REDIS_WINDOW = 1.5
# Sockets whose frames were lost without a reason that are listed; the rest are only counted.
SHOWN_LOST = 20

TOLD = "lost with a SIGKILLed worker, sender told"
HELD = "held by a SIGKILLed worker, not told"
PARKED = "parked behind it (enforce_ordering)"
IN_REDIS = "inside Redis when it stopped (it keeps nothing on disk)"
LOST = "lost without a reason"


class Books:
    """What every client sent and what became of it; one lock for all threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}                 # frame id -> (kind, socket id, sent at)
        self.delivered = {}            # frame id -> when it arrived
        self.refused = {}              # frame id -> reason
        self.refused_sockets = {}      # socket id -> reason (frames on it not delivered)
        self.told_lost = set()         # socket ids told ``message-lost``
        self.kills = []                # when a worker was SIGKILLed
        self.redis_stops = []          # when Redis was stopped
        self.connects = collections.Counter()
        self.started = time.monotonic()

    def send(self, frame_id, kind, socket_id, sent_at):
        """Book a frame written to its socket; ``sent_at`` was read before the write began."""
        with self.lock:
            self.sent[frame_id] = (kind, socket_id, sent_at)

    def deliver(self, frame_id):
        with self.lock:
            self.delivered.setdefault(frame_id, time.monotonic())

    def slowest(self):
        """(seconds, frame id) of the delivery that took longest, or None."""
        waits = [(self.delivered[frame_id] - sent_at, frame_id)
                 for frame_id, (_, _, sent_at) in self.sent.items() if frame_id in self.delivered]
        return max(waits) if waits else None

    def refuse(self, frame_id, reason):
        with self.lock:
            self.refused[frame_id] = reason
            self.sent.setdefault(frame_id, ("refused", None, time.monotonic()))

    def refuse_socket(self, socket_id, reason):
        with self.lock:
            self.refused_sockets.setdefault(socket_id, reason)

    def tell_lost(self, socket_id):
        with self.lock:
            self.told_lost.add(socket_id)


def open_socket(split, path, wait=None):
    """A socket whose handshake may take 10 s; then reads wait ``wait`` seconds (None: until it closes).

    A read that times out is not a lost socket: only a close or an error
    makes a client reconnect, so a slow moment loses no frame in transit.
    """
    sock = websocket.create_connection(split.ws_url + path, origin=split.url, timeout=10)
    sock.settimeout(wait)
    return sock


def reason_of(error):
    return "%s (%s)" % (type(error).__name__, str(error)[:40])


class Room(threading.Thread):
    """A speaker sending numbered frames and a listener hearing them."""

    def __init__(self, split, books, number, stop):
        super().__init__(daemon=True)
        self.split, self.books, self.stop = split, books, stop
        self.path = "/chat/soak-%d/" % number
        self.name = "room%d" % number
        self.listener = open_socket(split, self.path)
        self.sequence = 0
        self.last_heard = {}          # speaker socket id -> when its own frame came back
        threading.Thread(target=self.listen, daemon=True).start()

    def listen(self):
        while True:
            try:
                frame = json.loads(self.listener.recv())
            except (websocket.WebSocketException, OSError, ValueError):
                if self.stop.is_set():
                    return
                self.listener = self.reopen()
                continue
            if "text" in frame and "error" not in frame:
                self.books.deliver(frame["text"])

    def reopen(self):
        while True:
            try:
                return open_socket(self.split, self.path)
            except (websocket.WebSocketException, OSError) as error:
                self.books.connects["refused: " + reason_of(error)] += 1
                time.sleep(0.5)

    def run(self):
        speaker, socket_id = None, None
        while not self.stop.is_set():
            if speaker is None:
                speaker = self.reopen()
                socket_id = "%s-%f" % (self.name, time.monotonic())
                self.last_heard[socket_id] = time.monotonic()
                threading.Thread(target=self.hear_own, args=(speaker, socket_id),
                                 daemon=True).start()
            frame_id = "%s:%d" % (self.name, self.sequence)
            self.sequence += 1
            sent_at = time.monotonic()
            try:
                speaker.send(json.dumps({"text": frame_id}))
            except (websocket.WebSocketException, OSError) as error:
                self.books.refuse(frame_id, "send failed: " + reason_of(error))
                speaker = None
                continue
            self.books.send(frame_id, "room", socket_id, sent_at)
            if time.monotonic() - self.last_heard[socket_id] > STALL_SECONDS:
                speaker.close()  # nothing of its own came back: reconnect, as a page would
                speaker = None
            time.sleep(SPEAKER_INTERVAL)

    def hear_own(self, sock, socket_id):
        while True:
            try:
                frame = json.loads(sock.recv())
            except (websocket.WebSocketException, OSError, ValueError):
                return
            if frame.get("error") == "message-lost":
                self.books.tell_lost(socket_id)
            elif "close" in frame:  # the socket's end, with its reason
                self.books.refuse_socket(socket_id, "%s (close %s)" % (frame["error"],
                                                                        frame.get("close")))
            else:
                self.last_heard[socket_id] = time.monotonic()


class Echoer(threading.Thread):
    def __init__(self, split, books, number, stop):
        super().__init__(daemon=True)
        self.split, self.books, self.stop, self.name = split, books, stop, "echo%d" % number

    def run(self):
        sock, sequence, opened = None, 0, 0
        while not self.stop.is_set():
            frame_id = "%s:%d" % (self.name, sequence)
            sequence += 1
            try:
                if sock is None:
                    sock = open_socket(self.split, "/echo/", wait=GIVE_UP_SECONDS)
                    opened += 1
                sent_at = time.monotonic()
                sock.send(frame_id)
                self.books.send(frame_id, "echo", "%s-%d" % (self.name, opened), sent_at)
                while sock.recv() != frame_id:
                    pass
                self.books.deliver(frame_id)
            except (websocket.WebSocketException, OSError) as error:
                if frame_id not in self.books.sent:
                    self.books.refuse(frame_id, "send failed: " + reason_of(error))
                if sock is not None:
                    sock.close()
                sock = None
                time.sleep(0.2)
            time.sleep(0.01)


class Connector(threading.Thread):
    """Short-lived sockets: connect, one echo, close."""

    def __init__(self, split, books, stop):
        super().__init__(daemon=True)
        self.split, self.books, self.stop = split, books, stop

    def run(self):
        number = 0
        while not self.stop.is_set():
            frame_id = "connect:%d" % number
            number += 1
            try:
                sock = open_socket(self.split, "/echo/", wait=GIVE_UP_SECONDS)
            except (websocket.WebSocketException, OSError) as error:
                self.books.refuse(frame_id, "connect refused: " + reason_of(error))
                time.sleep(0.5)
                continue
            try:
                self.books.send(frame_id, "connect", frame_id, time.monotonic())
                sock.send(frame_id)
                if sock.recv() == frame_id:
                    self.books.deliver(frame_id)
            except (websocket.WebSocketException, OSError):
                pass  # counted below: sent, never delivered
            finally:
                sock.close()
            time.sleep(0.2)


def faults(split, books, stop, period):
    """Every period: SIGKILL a worker (back after 1 s); half a period on, restart Redis."""
    while not stop.wait(period / 2):
        victim = split.workers[0]
        victim.signal(signal.SIGKILL)
        if victim.popen.wait(10) == -signal.SIGKILL:  # dead: it takes nothing after this
            books.kills.append(time.monotonic())
        print("%.1fs: SIGKILL" % (time.monotonic() - books.started), flush=True)
        time.sleep(1)
        victim.start()
        print("%s SIGKILLed worker.1 and started it again" % time.strftime("%H:%M:%S"), flush=True)
        if stop.wait(period / 2):
            return
        split.redis.stop()
        books.redis_stops.append(time.monotonic())  # gone: daphne holds what comes after
        print("%.1fs: Redis stopped" % (time.monotonic() - books.started), flush=True)
        time.sleep(2)
        split.start_redis()
        print("%s restarted Redis (down 2 s)" % time.strftime("%H:%M:%S"), flush=True)


def classify(books):
    """Every frame sent, in exactly one row."""
    rows = collections.Counter()
    reasons = collections.Counter()
    lost_on_socket = collections.defaultdict(list)
    unexplained = collections.defaultdict(list)  # socket id -> [(sent at, frame id)] in LOST
    for frame_id, (kind, socket_id, sent_at) in sorted(books.sent.items(),
                                                      key=lambda item: item[1][2]):
        if frame_id in books.delivered:
            rows["delivered"] += 1
        elif frame_id in books.refused:
            rows["refused"] += 1
            reasons[books.refused[frame_id]] += 1
        elif socket_id in books.refused_sockets:
            rows["refused"] += 1
            reasons[books.refused_sockets[socket_id]] += 1
        else:
            lost_on_socket[socket_id].append((sent_at, frame_id, kind))
    held_by = KilledBatches(books.kills)
    for socket_id, lost in lost_on_socket.items():
        parked = False
        for sent_at, frame_id, kind in lost:
            if parked:
                rows[PARKED] += 1
                continue
            kill = held_by.take(sent_at)
            if kill is not None and socket_id in books.told_lost:
                rows[TOLD] += 1
            elif kill is not None:
                rows[HELD] += 1
                parked = kind == "room"  # enforce_ordering waits for it from now on
            elif any(0 <= stop - sent_at <= IN_REDIS_WINDOW for stop in books.redis_stops):
                rows[IN_REDIS] += 1
            else:
                rows[LOST] += 1
                unexplained[socket_id].append((sent_at, frame_id))
    show_unexplained(books, unexplained)
    return rows, reasons


def show_unexplained(books, unexplained):
    """One line per socket that lost frames without a reason: which frames, sent when."""
    for socket_id, lost in list(unexplained.items())[:SHOWN_LOST]:
        (first_at, first), (last_at, last) = lost[0], lost[-1]
        print("lost without a reason on %s: %d frames, %s to %s, sent %.1f s to %.1f s after "
              "the start" % (socket_id, len(lost), first, last, first_at - books.started,
                             last_at - books.started))


class KilledBatches:
    """What each SIGKILL can explain: the one batch the killed worker had in hand.

    A worker takes up to ``BatchWorker.batch`` messages at once, from any
    sockets, and holds the replies of those it ran until the batch is done,
    so one kill can lose that many frames and no more.
    """

    def __init__(self, kills):
        self.left = {kill: BatchWorker.batch for kill in kills}  # kill -> frames it may still explain

    def take(self, sent_at):
        """The kill a frame sent at ``sent_at`` may have died with, or None."""
        kill = next((k for k, left in self.left.items()
                     if left and 0 <= k - sent_at < KILL_WINDOW), None)
        if kill is not None:
            self.left[kill] -= 1
        return kill


def report(books, rows, reasons, minutes, redis_outages):
    sent = len(books.sent)
    print("\n| soak: %g min, %d worker SIGKILLs, %d Redis outages seen by daphne | frames |"
          % (minutes, len(books.kills), redis_outages))
    print("|---|---|")
    print("| sent | %d |" % sent)
    for row in ("delivered", "refused", TOLD, HELD, PARKED, IN_REDIS, LOST):
        print("| %s | %d |" % (row, rows.get(row, 0)))
    for reason, count in reasons.most_common():
        print("| refused: %s | %d |" % (reason, count))
    slowest = books.slowest()
    if slowest:
        print("\nslowest delivery: %.1f s (%s)" % slowest)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--period", type=float, default=30,
                        help="seconds between worker kills (Redis restarts half-way between)")
    args = parser.parse_args(argv)
    books, stop = Books(), threading.Event()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        env = {"DATABASE_PATH": os.path.join(tmp, "db.sqlite3")}
        with Split(workers=2, log_dir=os.path.join(tmp, "logs"), env=env) as split:
            load = [Room(split, books, n, stop) for n in range(ROOMS)]
            load += [Echoer(split, books, n, stop) for n in range(ECHOERS)]
            load.append(Connector(split, books, stop))
            breaker = threading.Thread(target=faults, args=(split, books, stop, args.period),
                                       daemon=True)
            for thread in load + [breaker]:
                thread.start()
            time.sleep(args.minutes * 60)
            stop.set()
            breaker.join(30)
            time.sleep(SETTLE_SECONDS)
            redis_outages = sum(1 for line in split.web.log().splitlines()
                                if "Redis answers again" in line)
            rows, reasons = classify(books)
            report(books, rows, reasons, args.minutes, redis_outages)
            if rows.get(LOST, 0):
                what_the_processes_said(split)
    return 0 if rows.get(LOST, 0) == 0 else 1


def what_the_processes_said(split):
    """Daphne's and the workers' warnings and errors: where to look when a frame went missing."""
    for process in [split.web] + split.workers:
        said = [line for line in process.log().splitlines()
                if "WARNING" in line or "ERROR" in line or "Traceback" in line]
        print("\n%s said (%d warnings and errors, the last 40):" % (process.name, len(said)))
        print("\n".join(said[-40:]))


if __name__ == "__main__":
    raise SystemExit(main())
