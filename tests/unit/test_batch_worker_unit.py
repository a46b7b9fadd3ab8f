"""BatchWorker keeps the stock worker loop's consumer semantics while batching, on a recording layer."""
import pytest
from channels import Channel, Group
from channels.routing import Router, route
from channels.signals import consumer_finished, consumer_started
from channels.worker import Worker

from channels_kit.management.commands.runworker import Command
from channels_kit.worker.batches import BatchWorker

# consumer_finished closes Django's stale database connections, as in a worker.
pytestmark = pytest.mark.django_db


class RecordingLayer:
    """Hands out prepared batches and records every send, in the order the worker made them."""

    class ChannelFull(Exception):
        pass

    replies_wait_for_batch = True

    def __init__(self, routes, batches, worker_stops):
        self.router = Router(routes)
        self.batches = list(batches)
        self.events = []
        self.worker_stops = worker_stops

    def receive_batch(self, channels, limit):
        batch = self.batches.pop(0)
        if not self.batches:
            self.worker_stops()
        return batch

    def start_consumer_run(self, channel, message):
        pass

    def send(self, channel, message):
        self.events.append(("send", channel, message["text"]))

    def send_many(self, sends):
        self.events.append(("send_many", [(channel, m["text"]) for channel, m in sends]))
        return []

    def send_group(self, group, message):
        self.events.append(("group", group, message["text"]))


def frame(n, path="/echo/"):
    return ("websocket.receive", {"reply_channel": "daphne.response.x!s%d" % n, "path": path,
                                  "order": 1, "text": "f%d" % n})


def run(routes, batches, replies_wait=True):
    worker = BatchWorker(channel_layer=None, signal_handlers=False)
    layer = RecordingLayer(routes, batches, lambda: setattr(worker, "termed", True))
    layer.replies_wait_for_batch = replies_wait
    worker.channel_layer = layer
    worker.run()
    return layer.events


def echo(message):
    layer = message.channel_layer
    layer.events.append(("consumer", message["text"]))
    message.reply_channel.send({"text": message["text"]})


def test_a_batchs_replies_leave_together_in_order_after_its_last_consumer():
    events = run([route("websocket.receive", echo)], [[frame(1), frame(2), frame(3)]])
    assert events == [
        ("consumer", "f1"), ("consumer", "f2"), ("consumer", "f3"),
        ("send_many", [("daphne.response.x!s1", "f1"), ("daphne.response.x!s2", "f2"),
                       ("daphne.response.x!s3", "f3")]),
    ]


def test_a_consumer_with_a_channel_session_sends_before_the_next_message_runs():
    """enforce_ordering publishes the next order in the session: its reply may not wait."""

    def ordered(message):
        message.channel_session = {}  # what @channel_session leaves on the message
        echo(message)

    events = run([route("websocket.receive", ordered, path="^/ordered/$"),
                  route("websocket.receive", echo)],
                 [[frame(1), frame(2, "/ordered/"), frame(3)]])
    assert events == [
        ("consumer", "f1"), ("consumer", "f2"),
        ("send_many", [("daphne.response.x!s1", "f1"), ("daphne.response.x!s2", "f2")]),
        ("consumer", "f3"),
        ("send_many", [("daphne.response.x!s3", "f3")]),
    ]


def test_a_layer_that_reports_each_run_gets_its_replies_before_the_next_consumer():
    """The inspector, while watched, shows each consumer run with what it sent."""
    events = run([route("websocket.receive", echo)], [[frame(1), frame(2)]], replies_wait=False)
    assert events == [
        ("consumer", "f1"), ("send_many", [("daphne.response.x!s1", "f1")]),
        ("consumer", "f2"), ("send_many", [("daphne.response.x!s2", "f2")]),
    ]


def test_immediately_sends_at_once_and_group_sends_keep_their_place():
    def mixed(message):
        message.reply_channel.send({"text": "now"}, immediately=True)
        message.reply_channel.send({"text": "held"})
        Group("room", channel_layer=message.channel_layer).send({"text": "to the room"})
        Channel("other.channel", channel_layer=message.channel_layer).send({"text": "after"})

    events = run([route("websocket.receive", mixed)], [[frame(1)]])
    assert events == [
        ("send", "daphne.response.x!s1", "now"),
        ("send_many", [("daphne.response.x!s1", "held")]),
        ("group", "room", "to the room"),
        ("send_many", [("other.channel", "after")]),
    ]


def test_consumer_signals_go_around_every_message_and_a_failure_still_sends_its_replies():
    seen = []

    def started(sender, **kwargs):
        seen.append("started")

    def finished(sender, **kwargs):
        seen.append("finished")

    def fails(message):
        message.reply_channel.send({"text": "before the error"})
        raise RuntimeError("consumer bug")

    consumer_started.connect(started)
    consumer_finished.connect(finished)
    try:
        events = run([route("websocket.receive", fails)], [[frame(1), frame(2)]])
    finally:
        consumer_started.disconnect(started)
        consumer_finished.disconnect(finished)
    assert seen == ["started", "finished"] * 2
    assert events == [("send_many", [("daphne.response.x!s1", "before the error"),
                                     ("daphne.response.x!s2", "before the error")])]


def test_a_stop_ends_the_loop_after_the_batch_in_hand():
    events = run([route("websocket.receive", echo)], [[frame(1), frame(2)]])
    # The stop came with the batch (the layer stops the worker on its last one);
    # both messages still ran and were answered.
    assert [e for e in events if e[0] == "consumer"] == [("consumer", "f1"), ("consumer", "f2")]


class BatchingLayer:
    """What batch_receives looks for: a layer that can take several messages per trip."""

    def receive_batch(self, channels, limit):
        raise AssertionError("not run here")


@pytest.mark.parametrize("argv, worker_class, batch", [
    ([], BatchWorker, 8),                  # the README's "batches of up to 8"
    (["--batch", "3"], BatchWorker, 3),
    (["--batch", "1"], Worker, None),      # the stock loop, one message per trip
])
def test_runworker_batch_option_picks_the_loop_and_its_batch_size(argv, worker_class, batch):
    command = Command()
    options = vars(command.create_parser("manage.py", "runworker").parse_args(argv))
    command.batch = options["batch"]
    worker = Worker(channel_layer=BatchingLayer(), signal_handlers=False)
    command.batch_receives(worker)
    assert type(worker) is worker_class
    assert getattr(worker, "batch", None) == batch
