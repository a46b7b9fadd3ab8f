"""FlowControlledLayer on asgiref's in-memory layer, with a clock and timers the test moves."""
import json

import pytest
import redis
from asgiref.inmemory import ChannelLayer
from twisted.internet import defer

from channels_kit.daphne.flow_control import FlowControlledLayer
from channels_kit.layer.roles import Reports


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


class Timers:
    """``call_later`` for the layer: the test runs what is due when it moves the clock."""

    def __init__(self, clock):
        self.clock, self.due = clock, []

    def __call__(self, delay, function, *args):
        timer = Timer(self.clock.now + delay, function, args)
        self.due.append(timer)
        return timer

    def advance(self, seconds):
        """Run every timer due by then in time order, with the clock at each one's time."""
        end = self.clock.now + seconds
        while True:
            due = [t for t in self.due if t.at <= end and not t.cancelled]
            if not due:
                break
            timer = min(due, key=lambda t: t.at)
            self.due.remove(timer)
            self.clock.now = max(self.clock.now, timer.at)
            timer.function(*timer.args)
        self.clock.now = end


class Timer:
    def __init__(self, at, function, args):
        self.at, self.function, self.args, self.cancelled = at, function, args, False

    def cancel(self):
        self.cancelled = True


class Transport:
    paused = False

    def pauseProducing(self):
        self.paused = True

    def resumeProducing(self):
        self.paused = False


class Protocol:
    """What the wrapper uses of daphne's WebSocketProtocol."""
    STATE_OPEN, STATE_CLOSING = 1, 2

    def __init__(self, reply_channel):
        self.reply_channel = reply_channel
        self.transport = Transport()
        self.state = self.STATE_OPEN
        self.written, self.close_code = [], None

    def sendMessage(self, payload, binary):
        self.written.append(json.loads(payload))

    def sendCloseFrame(self, code, isReply):
        self.close_code = code


class Breakable(ChannelLayer):
    """The in-memory layer, unreachable while ``down`` is set."""
    down = False

    def send(self, channel, message):
        if self.down:
            raise redis.exceptions.ConnectionError("Redis is down")
        return super().send(channel, message)


class Placing(Reports, Breakable):
    """Tells each send's place in line, and knows how far the workers got, as the kit's layer does.

    ``websocket.receive`` is numbered as it is pushed; what the workers have
    taken is known as of the last answer or ``refresh_queued``, as it is
    from Redis.
    """
    on_queued = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.pushed = self.taken = self.taken_known = 0

    def send(self, channel, message):
        try:
            super().send(channel, message)
        except Exception:
            self.on_queued(channel, message, None)
            raise
        self.pushed += channel == "websocket.receive"
        self.taken_known = self.taken
        self.on_queued(channel, message, self.pushed)

    def receive(self, channels, block=False):
        name, message = super().receive(channels, block)
        self.taken += name == "websocket.receive"
        return name, message

    def still_queued(self, place):
        return self.taken_known < place <= self.pushed

    def refresh_queued(self, channel):
        self.taken_known = self.taken
        return defer.succeed(None)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def timers(clock):
    return Timers(clock)


def limited(clock, timers=None, **limits):
    return FlowControlledLayer(Placing(capacity=100), clock=clock, call_later=timers, **limits)


def open_socket(layer, reply="daphne.response.x!a", client="10.0.0.1"):
    """A socket connected the way daphne does it: the protocol itself sends the connect."""
    self = Protocol(reply)  # noqa: F841 (found up the stack by the wrapper)
    layer.send("websocket.connect", {"reply_channel": reply, "path": "/chat/r/",
                                     "client": [client, 5000], "order": 0})
    return reply


def protocol_of(layer, reply):
    return layer.sockets[reply].protocol


def frame(layer, reply, order, text="hi"):
    layer.send("websocket.receive", {"reply_channel": reply, "path": "/chat/r/",
                                     "order": order, "text": text})


def drain(layer, channel):
    """Every message waiting on ``channel`` (a reply channel is read through its process prefix)."""
    listen = channel.split("!")[0] + "!" if "!" in channel else channel
    got = []
    while True:
        name, message = layer.layer.receive([listen])
        if name is None:
            return [m for n, m in got if n == channel]
        got.append((name, message))


def orders(layer, channel="websocket.receive"):
    return [m["order"] for m in drain(layer, channel)]


def test_frames_within_the_burst_pass_through(clock, timers):
    layer = limited(clock, timers, rate=1, burst=5)
    reply = open_socket(layer)
    for order in range(1, 6):
        frame(layer, reply, order)
    assert orders(layer) == [1, 2, 3, 4, 5]
    assert not protocol_of(layer, reply).transport.paused


def test_frames_read_after_the_close_began_are_not_passed_on(clock, timers):
    layer = limited(clock, timers, rate=1, burst=5)
    reply = open_socket(layer)
    frame(layer, reply, 1)
    protocol_of(layer, reply).state = Protocol.STATE_CLOSING  # a fatal error's close went out
    frame(layer, reply, 2, "too late")
    assert orders(layer) == [1]


def test_a_fast_sender_is_paused_not_closed_and_every_frame_arrives_at_the_rate(clock, timers):
    layer = limited(clock, timers, rate=10, burst=3)
    reply = open_socket(layer)
    for order in range(1, 11):
        frame(layer, reply, order)
    assert orders(layer) == [1, 2, 3]
    assert protocol_of(layer, reply).transport.paused  # daphne stopped reading it
    timers.advance(0.1)
    assert orders(layer) == [4]
    timers.advance(0.55)
    assert orders(layer) == [5, 6, 7, 8, 9]  # one per token, 0.1 s apart
    timers.advance(0.1)
    assert orders(layer) == [10]
    assert not protocol_of(layer, reply).transport.paused  # its queue is empty: read again
    assert drain(layer, reply) == []  # never told off, never closed
    assert protocol_of(layer, reply).close_code is None


def test_a_busy_sender_has_at_most_its_share_in_the_shared_queue_and_a_quiet_one_goes_first(
        clock, timers):
    layer = limited(clock, timers, rate=1000, burst=100)
    busy = open_socket(layer, "daphne.response.x!busy")
    for order in range(1, 41):
        frame(layer, busy, order)
    assert protocol_of(layer, busy).transport.paused  # its share (20) waits; daphne stopped reading
    quiet = open_socket(layer, "daphne.response.x!quiet")
    frame(layer, quiet, 1)
    timers.advance(0.5)  # the workers take nothing meanwhile: nothing more of the busy one goes in
    waiting = drain(layer, "websocket.receive")
    assert [m["order"] for m in waiting if m["reply_channel"] == busy] == list(range(1, 21))
    assert waiting[-1]["reply_channel"] == quiet  # behind the busy share, not its whole backlog
    timers.advance(0.01)  # daphne asks how far the workers got: the next share goes
    assert orders(layer) == list(range(21, 41))
    assert not protocol_of(layer, busy).transport.paused  # all sent: read again


def test_a_socket_doing_round_trips_is_never_held(clock, timers):
    layer = limited(clock, timers, rate=1000, burst=100)
    reply = open_socket(layer)
    for order in range(1, 201):
        clock.now += 0.01  # a round trip: well within the rate
        frame(layer, reply, order)
        assert orders(layer) == [order]  # each frame goes at once: one at a time in the queue
    assert not protocol_of(layer, reply).transport.paused


def test_a_disconnect_waits_behind_the_frames_still_paced(clock, timers):
    layer = limited(clock, timers, rate=10, burst=1)
    reply = open_socket(layer)
    for order in range(1, 4):
        frame(layer, reply, order)
    layer.send("websocket.disconnect", {"reply_channel": reply, "code": 1000, "order": 4})
    assert orders(layer) == [1] and orders(layer, "websocket.disconnect") == []
    timers.advance(0.5)
    assert orders(layer) == [2, 3]
    assert orders(layer, "websocket.disconnect") == [4]
    assert layer.sockets == {}


def test_frames_sent_while_redis_is_down_are_delivered_in_order_once_it_is_back(clock, timers):
    layer = limited(clock, timers)
    reply = open_socket(layer)
    frame(layer, reply, 1)
    layer.layer.down = True
    for order in range(2, 22):
        frame(layer, reply, order)
    layer.layer.down = False
    assert orders(layer) == [1]
    layer.outages.probed("ok")  # the watch reaches Redis again, its marker still there
    assert orders(layer) == list(range(2, 22))


def test_past_the_per_socket_bound_the_sender_is_told_and_closed_with_1013(clock, timers):
    layer = limited(clock, timers, outage_frames=5)
    reply = open_socket(layer)
    layer.layer.down = True
    for order in range(1, 8):
        frame(layer, reply, order)
    protocol = protocol_of(layer, reply)
    [error] = protocol.written
    assert (error["error"], error["close"], protocol.close_code) == ("service-unavailable", 1013, 1013)
    assert "6 frames you sent were not delivered" in error["detail"]
    layer.layer.down = False
    layer.outages.probed("ok")
    assert orders(layer) == []  # what it was told was lost is not delivered after all


def test_an_outage_past_its_time_closes_every_socket_so_clients_reconnect(clock, timers):
    layer = limited(clock, timers, outage_seconds=10)
    idle = open_socket(layer, "daphne.response.x!idle")
    busy = open_socket(layer, "daphne.response.x!busy")
    layer.layer.down = True
    frame(layer, busy, 1)
    clock.now += 11
    layer.outages.close_everyone()
    assert protocol_of(layer, idle).written[0]["error"] == "service-restart"
    assert protocol_of(layer, idle).close_code == 1012
    assert protocol_of(layer, busy).close_code == 1013


@pytest.fixture(autouse=True)
def sessions_in_the_cache(settings):
    """Channel sessions a replay deletes, kept where a unit test may touch them."""
    settings.CHANNEL_SESSION_ENGINE = "django.contrib.sessions.backends.cache"


def test_a_replayed_connect_starts_without_the_session_it_had(clock, timers):
    """A cluster master may lose the groups and keep the session, whose order count parks the replay."""
    from channels.sessions import session_for_reply_channel

    layer = limited(clock, timers)
    socket = open_socket(layer, "daphne.response.x!kept")
    session = session_for_reply_channel(socket)
    session["__channels_next_order"] = 3
    session.save(must_create=True)  # as channel_session makes it
    drain(layer, "websocket.connect")
    layer.outages.probed("lost")
    assert [m["order"] for m in drain(layer, "websocket.connect")] == [0]
    assert not session_for_reply_channel(socket).exists(session.session_key)


def test_redis_back_empty_replays_connects_then_renumbers_frames(clock, timers):
    layer = limited(clock, timers)
    listener = open_socket(layer, "daphne.response.x!listener")
    sender = open_socket(layer, "daphne.response.x!sender")
    frame(layer, sender, 1)
    frame(layer, sender, 2)
    drain(layer, "websocket.connect")
    assert orders(layer) == [1, 2]
    layer.layer.down = True
    frame(layer, sender, 3)
    frame(layer, sender, 4)
    layer.layer.down = False
    layer.outages.probed("lost")  # Redis answers, but the marker (and every group) is gone
    replayed = drain(layer, "websocket.connect")
    assert sorted(m["reply_channel"] for m in replayed) == [listener, sender]
    assert all(m["order"] == 0 for m in replayed)
    assert orders(layer) == []  # frames wait for the replayed connects to be answered
    layer.outages.answered((listener, {"accept": True}))
    layer.outages.answered((sender, {"accept": True}))
    timers.advance(0)
    assert orders(layer) == [1, 2]  # daphne's 3 and 4, after the new session's connect
    frame(layer, sender, 5)
    assert orders(layer) == [3]


def test_a_flush_replays_older_sockets_and_closes_those_that_may_postdate_it(clock, timers):
    layer = limited(clock, timers)
    older = open_socket(layer, "daphne.response.x!older")
    clock.now += 1
    layer.outages.probing = clock.now
    layer.outages.probed("ok")  # this probe saw the marker: "older" connected before any flush since
    clock.now += 0.2
    newer = open_socket(layer, "daphne.response.x!newer")
    drain(layer, "websocket.connect")
    layer.outages.probing = clock.now
    layer.outages.probed("lost")  # a flush, no outage: "newer" may have connected after it
    assert [m["reply_channel"] for m in drain(layer, "websocket.connect")] == [older]
    closed = protocol_of(layer, newer)
    assert (closed.written[0]["error"], closed.close_code) == ("service-restart", 1012)


def test_sockets_on_reconnect_paths_are_closed_not_replayed(clock, timers):
    layer = FlowControlledLayer(Breakable(capacity=100), clock=clock, call_later=timers,
                                reconnect_paths=["/terminal/"])
    room = open_socket(layer, "daphne.response.x!room")
    self = Protocol("daphne.response.x!shell")  # noqa: F841 (found up the stack)
    layer.send("websocket.connect", {"reply_channel": "daphne.response.x!shell",
                                     "path": "/terminal/box/", "client": ["10.0.0.1", 1],
                                     "order": 0})
    drain(layer, "websocket.connect")
    layer.layer.down = True
    frame(layer, room, 1)
    layer.layer.down = False
    layer.outages.probed("lost")
    assert [m["reply_channel"] for m in drain(layer, "websocket.connect")] == [room]
    shell = protocol_of(layer, "daphne.response.x!shell")
    assert (shell.written[0]["error"], shell.close_code) == ("service-restart", 1012)


def test_a_send_lost_with_the_connection_is_held_again_in_order(clock, timers):
    layer = limited(clock, timers)
    reply = open_socket(layer)
    for order in (1, 2):
        frame(layer, reply, order)
    drain(layer, "websocket.receive")  # as if they went out, unanswered, when the link broke
    layer.layer.down = True
    frame(layer, reply, 3)
    layer.hold_lost_send("websocket.receive", {"reply_channel": reply, "order": 2, "text": "hi"})
    layer.layer.down = False
    layer.outages.probed("ok")
    assert orders(layer) == [2, 3]


def test_oversized_frame_gets_4501(clock):
    layer = limited(clock, max_frame=10)
    reply = open_socket(layer)
    frame(layer, reply, 1, text="x" * 11)
    assert drain(layer, "websocket.receive") == []
    [answer] = drain(layer, reply)
    assert (json.loads(answer["text"])["error"], answer["close"]) == ("frame-too-large", 4501)


def test_connections_per_client_are_bounded_and_released(clock):
    layer = limited(clock, max_per_client=2)
    first = open_socket(layer, "daphne.response.x!1")
    open_socket(layer, "daphne.response.x!2")
    third = open_socket(layer, "daphne.response.x!3")
    other = open_socket(layer, "daphne.response.x!4", client="10.0.0.2")
    assert len(drain(layer, "websocket.connect")) == 3  # the third never reaches a worker
    [answer] = drain(layer, third)
    assert (json.loads(answer["text"])["error"], answer["close"]) == ("too-many-connections", 4502)
    assert drain(layer, other) == []
    layer.send("websocket.disconnect", {"reply_channel": third, "order": 1, "code": 1000})
    assert drain(layer, "websocket.disconnect") == []  # no worker saw it connect
    layer.send("websocket.disconnect", {"reply_channel": first, "order": 1, "code": 1000})
    open_socket(layer, "daphne.response.x!5")
    assert len(drain(layer, "websocket.connect")) == 1


def test_other_channels_pass_through_untouched(clock):
    layer = limited(clock, rate=1, burst=1, max_frame=1, max_per_client=1)
    layer.send("http.request", {"reply_channel": "http.response.x!y", "path": "/"})
    assert len(drain(layer, "http.request")) == 1
