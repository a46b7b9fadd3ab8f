"""What a full channel does to each kind of sender, with the stock 1.1.8 classes (docs/guarantees.md).

The layer is the in-memory one with a capacity of one message, so "full"
takes a single send; everything above it (``Channel``, ``Group``, the
pending message store, ``channels.worker.Worker``) is channels 1.1.8 as
pinned.
"""
import threading

import pytest
from channels import Channel, Group
from channels.asgi import ChannelLayerWrapper
from channels.message import pending_message_store
from channels.routing import route
from channels.signals import consumer_finished, consumer_started
from channels.worker import Worker

from channels_kit.asgi1.inmemory import ChannelLayer


@pytest.fixture
def layer():
    return ChannelLayer(capacity=1)


@pytest.fixture
def quick_retries(monkeypatch):
    """The flush's 2 s of retries, shortened: the outcome is the same, only sooner."""
    monkeypatch.setattr(pending_message_store, "retry_time", 0.3)
    monkeypatch.setattr(pending_message_store, "retry_interval", 0.05)


def test_an_immediate_send_to_a_full_channel_raises_channel_full(layer):
    Channel("lesson.full", channel_layer=layer).send({"n": 1})
    with pytest.raises(layer.ChannelFull):
        Channel("lesson.full", channel_layer=layer).send({"n": 2}, immediately=True)


def test_a_group_send_skips_a_full_member_silently(layer):
    layer.group_add("lesson", "lesson.full")
    layer.group_add("lesson", "lesson.roomy")
    Channel("lesson.full", channel_layer=layer).send({"n": 1})
    Group("lesson", channel_layer=layer).send({"n": 2})  # no exception
    assert layer.receive(["lesson.roomy"]) == ("lesson.roomy", {"n": 2})
    assert layer.receive(["lesson.full"]) == ("lesson.full", {"n": 1})
    assert layer.receive(["lesson.full"]) == (None, None)  # the skipped copy is nowhere


def test_a_buffered_send_to_a_full_channel_raises_runtime_error_when_flushed(layer, quick_retries):
    Channel("lesson.full", channel_layer=layer).send({"n": 1})
    consumer_started.send(sender=Worker, environ={})
    Channel("lesson.full", channel_layer=layer).send({"n": 2})  # buffered: nothing raised yet
    with pytest.raises(RuntimeError, match="Failed to send queued message"):
        consumer_finished.send(sender=Worker)


def test_that_runtime_error_ends_the_stock_worker_loop(layer, quick_retries):
    """The flush runs in the loop's ``finally``: the error leaves ``Worker.run`` and the process."""
    def consumer(message):
        Channel("lesson.full", channel_layer=layer).send({"n": 2})

    wrapper = ChannelLayerWrapper(layer, "lesson", [route("lesson.work", consumer)])
    worker = Worker(wrapper, signal_handlers=False)
    layer.send("lesson.full", {"n": 1})
    layer.send("lesson.work", {})
    # Were the loop to survive, this stops it, and pytest.raises fails.
    stop = threading.Timer(10, setattr, (worker, "termed", True))
    stop.start()
    try:
        with pytest.raises(RuntimeError, match="Failed to send queued message"):
            worker.run()
    finally:
        stop.cancel()
