"""Faults through a real split of their own: Redis restarts, worker loss (drained, killed, killed mid-message).

Each test starts its own Split (redis-server + daphne + 2 runworkers) so it
can break it without disturbing the shared one.
"""
import json
import signal
import time

import pytest
import websocket

from channels_kit.layer import RedisChannelLayer
from channels_kit.testing.split import wait_for
from tests.support.figures import record
from tests.support.hostile import handshake
from tests.support.splits import running_split
from tests.support.wire import recv_json, say


FIGURES = "fault-figures.json"


@pytest.fixture
def own_split(tmp_path):
    with running_split("faults", tmp_path, env={"WORKER_VERBOSITY": "2"}) as running:
        yield running


def connect(split, path):
    return websocket.create_connection(split.ws_url + path, origin=split.url, timeout=10)


def texts_until(sock, wanted, timeout):
    """Read room frames until ``wanted`` arrives; return every text seen."""
    seen = []
    sock.settimeout(timeout)
    while wanted not in seen:
        seen.append(recv_json(sock)["text"])
    return seen


def rejoin_and_chat(split, path, deadline):
    """Connect two members and a newcomer and chat, retrying until ``deadline``.

    New sockets are refused (HTTP 503) until daphne has seen Redis again.
    """
    while True:
        socks = []
        try:
            socks = [connect(split, path) for _ in ("alice", "bob", "carol")]
            word = "back-%f" % time.monotonic()
            say(socks[0], word)
            for sock in socks:
                texts_until(sock, word, timeout=3)
            return time.monotonic()
        except (websocket.WebSocketException, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        finally:
            for sock in socks:
                sock.close()


def test_room_works_again_within_15s_of_redis_restart(own_split):
    alice, bob = connect(own_split, "/chat/outage/"), connect(own_split, "/chat/outage/")
    say(alice, "before")
    assert texts_until(bob, "before", timeout=10) == ["before"]
    alice.close()
    bob.close()

    own_split.redis.stop()
    time.sleep(1)
    own_split.start_redis()
    back = time.monotonic()
    served = rejoin_and_chat(own_split, "/chat/outage/", deadline=back + 15)
    print("\nRedis restart: room served again %.1fs after Redis was back" % (served - back))
    record(FIGURES, "redis_restart", {"seconds_until_served": round(served - back, 1)})
    assert served - back <= 15
    assert all(w.alive() for w in own_split.workers), "a worker died with Redis"
    for worker in own_split.workers:  # each says once that Redis went, and once that it is back
        wait_for(lambda: "worker listening again" in worker.log(), 15,
                 "%s to listen again" % worker.name)
        said = [line.split("] ", 1)[1] for line in worker.log().splitlines()
                if " WARNING " in line and "Redis" in line]
        assert [line.partition(" (")[0] for line in said] == [
            "Redis unavailable", "Redis is back; worker listening again"], said


def test_sigterm_drains_the_message_in_hand_and_exits_0(own_split):
    job = connect(own_split, "/progress/")
    job.send(json.dumps({"steps": 50}))  # about a second of work in one consumer run
    assert recv_json(job) == {"step": 1, "of": 50}  # a worker is in the middle of it
    for worker in own_split.workers:  # no other worker could finish it for the one stopped
        worker.signal(signal.SIGTERM)
    assert [worker.popen.wait(20) for worker in own_split.workers] == [0, 0]
    rest = [recv_json(job) for _ in range(50)]
    assert rest == [{"step": n, "of": 50} for n in range(2, 51)] + [{"done": True}]
    assert any("finishing the message in hand" in worker.log() for worker in own_split.workers)


def test_sigkill_of_one_worker_leaves_the_other_serving(own_split):
    victim, survivor = own_split.workers
    victim.signal(signal.SIGKILL)
    assert victim.popen.wait(10) == -signal.SIGKILL
    first, second = connect(own_split, "/chat/survivor/"), connect(own_split, "/chat/survivor/")
    for i in range(20):
        say(first, str(i))
    assert [recv_json(second)["text"] for _ in range(20)] == [str(i) for i in range(20)]
    assert survivor.alive()


def test_with_no_worker_running_a_connect_is_dropped_unanswered(own_split):
    """Nothing accepts the connect, so daphne 1.4's own connect timeout ends it.

    Daphne then rejects it with a 403 and drops the connection at once, so
    the client reads no answer at all: not a 101, not the 403.
    """
    for worker in own_split.workers:
        worker.signal(signal.SIGKILL)
        assert worker.popen.wait(10) == -signal.SIGKILL
    assert handshake(own_split.port, origin=own_split.url, timeout=30) == ""
    assert own_split.web.alive()
    wait_for(lambda: "WSDISCONNECT /echo/" in own_split.web.log(), 10, "daphne to log the drop")
    assert "WSCONNECTING /echo/" in own_split.web.log()


def websocket_receive(split):
    """(frames daphne has queued on websocket.receive so far, frames queued there now)."""
    layer = RedisChannelLayer(hosts=[split.redis_url])
    stats = layer.channel_statistics("websocket.receive")
    return stats["messages_count"], stats["messages_pending"]


def hand_a_frame_to_a_stopped_worker(split, sock, text):
    """Stop the workers and send ``text``: the worker blocked in BLPOP is handed it, and holds it.

    Redis gives a pushed message to a client blocked in BLPOP at once, even a
    stopped one; the frame then lies in that worker's socket buffer, taken
    from Redis and not yet run, as in any worker killed mid-batch. Returns
    that worker, or None if neither was blocked (the frame is still queued).
    """
    first, second = split.workers
    second.signal(signal.SIGSTOP)
    time.sleep(1.5)  # its pending BLPOP times out: only the first one is waiting now
    first.signal(signal.SIGSTOP)
    queued_before = websocket_receive(split)[0]
    say(sock, text)
    wait_for(lambda: websocket_receive(split)[0] > queued_before, 10, "daphne to queue the frame")
    if websocket_receive(split)[1] == 0:
        return first
    first.signal(signal.SIGCONT)
    second.signal(signal.SIGCONT)
    return None


def test_a_frame_lost_with_a_killed_worker_is_reported_and_later_frames_run(own_split):
    speaker, listener = connect(own_split, "/chat/gap/"), connect(own_split, "/chat/gap/")
    say(speaker, "hello")
    assert recv_json(listener)["text"] == "hello"
    holder = None
    for attempt in range(3):
        holder = hand_a_frame_to_a_stopped_worker(own_split, speaker, "lost-%d" % attempt)
        if holder:
            break
        assert recv_json(listener)["text"] == "lost-%d" % attempt
    assert holder, "no worker was waiting in BLPOP when the frame arrived"
    holder.signal(signal.SIGKILL)
    assert holder.popen.wait(10) == -signal.SIGKILL
    survivor = next(w for w in own_split.workers if w is not holder)
    say(speaker, "after-1")
    say(speaker, "after-2")
    killed_at = time.monotonic()
    survivor.signal(signal.SIGCONT)

    told = next(frame for frame in iter(lambda: recv_json(speaker), None) if "error" in frame)
    print("\nclient told %.1fs after the kill: %s" % (time.monotonic() - killed_at, told))
    assert told["error"] == "message-lost"
    assert told["detail"].startswith("1 message(s)")
    assert "close" not in told
    assert [recv_json(listener)["text"] for _ in range(2)] == ["after-1", "after-2"]
    say(speaker, "still-open")
    assert recv_json(listener)["text"] == "still-open"
    assert "1 message(s) lost with a stopped worker" in survivor.log()
