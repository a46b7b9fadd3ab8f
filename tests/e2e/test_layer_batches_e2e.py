"""The layer's batch calls on real Redis: receive_batch, send_many, and pipelines after a script flush.

Uses the split's redis-server, on a database the split does not use.
"""
import pytest

from channels_kit.layer import RedisChannelLayer


DB = 3


@pytest.fixture
def layer(split):
    url = split.redis_url.rsplit("/", 1)[0] + "/%d" % DB
    layer = RedisChannelLayer(hosts=[url], capacity=4)
    layer.flush()
    yield layer
    layer.flush()


def test_receive_batch_takes_up_to_the_limit_in_order_then_waits(layer):
    for n in range(4):
        layer.send("batch.in", {"n": n})
    first = layer.receive_batch(["batch.in"], 3)
    second = layer.receive_batch(["batch.in"], 3)
    assert [(channel, m["n"]) for channel, m in first] == [("batch.in", 0), ("batch.in", 1),
                                                           ("batch.in", 2)]
    assert [m["n"] for _, m in second] == [3]
    layer.blpop_timeout = 1
    assert layer.receive_batch(["batch.in"], 3) == []  # dry: one BLPOP, then nothing


def test_receive_batch_after_a_wait_takes_the_backlog_behind_the_popped_message(layer):
    layer.blpop_timeout = 1
    assert layer.receive_batch(["batch.in"], 3) == []  # dry: the next call BLPOPs first
    for n in range(3):
        layer.send("batch.in", {"n": n})
    assert [m["n"] for _, m in layer.receive_batch(["batch.in"], 3)] == [0, 1, 2]


def test_send_many_sends_in_order_and_returns_what_was_full(layer):
    reply = "daphne.response.test!socket"
    refused = layer.send_many([(reply, {"n": n}) for n in range(5)])
    assert [m["n"] for _, m in refused] == [4]  # capacity 4
    assert [layer.receive(["daphne.response.test!"])[1]["n"] for _ in range(4)] == [0, 1, 2, 3]
    assert layer.drop_counts() == {"daphne.response.*!": 1}


def test_pipelined_sends_survive_redis_forgetting_the_script(layer):
    """A restarted Redis has no scripts: the pipeline loads it and sends everything once, in order."""
    members = [layer.new_channel("reply?") for _ in range(2)]
    for member in members:
        layer.group_add("room-flush", member)
    layer.connection(0).script_flush()
    layer.send_group("room-flush", {"text": "once"})
    for member in members:
        assert layer.receive([member])[1] == {"text": "once"}
        assert layer.receive([member]) == (None, None)


def test_each_send_is_told_its_place_and_whether_a_worker_has_taken_it(layer):
    """What daphne's fair share reads: a message is gone once Redis reports the list taken past it."""
    places = []
    layer.report_to(queued=lambda channel, message, place: places.append(place), send_lost=None)
    for n in range(3):
        layer.send("places.in", {"n": n})
    assert [layer.still_queued(place) for place in places] == [True, True, True]
    assert layer.receive(["places.in"])[1] == {"n": 0}
    layer.send("places.in", {"n": 3})  # its answer brings the news of the receive
    assert [layer.still_queued(place) for place in places] == [False, True, True, True]
    layer.send("places.in", {"n": 4})
    with pytest.raises(layer.ChannelFull):
        layer.send("places.in", {"n": 5})  # capacity 4
    assert places[-1] is None  # told, so the sender's count goes down again
    layer.flush()  # as a restarted Redis: the count starts again
    layer.send("places.in", {"n": 6})
    assert [layer.still_queued(place) for place in places[1:5]] == [False, False, False, False]
