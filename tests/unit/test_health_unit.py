"""The health view on the in-memory layer, and daphne's fallback for when Redis is down."""
import json

import pytest
from redis.exceptions import ConnectionError
from twisted.internet import defer

from channels_kit.daphne.health import AnswersHealthWhileRedisIsDown


@pytest.mark.django_db
def test_health_without_redis_reports_the_in_memory_layer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"redis": "not used (in-memory layer)", "db": "ok"}


class TwistedLayer:
    """A layer in daphne's native mode whose receive_twisted the test completes by hand."""

    def __init__(self):
        self.calls = []

    def receive_twisted(self, channels):
        self.calls.append(defer.Deferred())
        return self.calls[-1]


def results(deferred):
    got = []
    deferred.addBoth(got.append)
    return got


def test_local_503_reaches_daphne_waiting_in_native_mode():
    layer = AnswersHealthWhileRedisIsDown(TwistedLayer())
    waiting = results(layer.receive_twisted(["daphne.response.X!"]))
    layer.answer({"reply_channel": "daphne.response.X!a"}, ConnectionError("refused"))
    [(channel, reply)] = waiting
    assert channel == "daphne.response.X!a"
    assert reply["status"] == 503
    assert json.loads(reply["content"])["redis"] == "error: ConnectionError: refused"


def test_layer_result_after_a_local_reply_is_kept_for_the_next_call():
    inner = TwistedLayer()
    layer = AnswersHealthWhileRedisIsDown(inner)
    layer.receive_twisted(["daphne.response.X!"])
    layer.answer({"reply_channel": "daphne.response.X!a"}, ConnectionError("refused"))
    second = results(layer.receive_twisted(["daphne.response.X!"]))
    assert len(inner.calls) == 1  # never two layer calls at once
    inner.calls[0].callback(("daphne.response.X!b", {"text": "late"}))
    assert second == [("daphne.response.X!b", {"text": "late"})]
    third = layer.receive_twisted(["daphne.response.X!"])
    assert len(inner.calls) == 2 and not third.called


def test_a_result_the_layer_already_has_is_handed_over_at_once():
    class Buffered(TwistedLayer):
        def receive_twisted(self, channels):
            return defer.succeed(("daphne.response.X!a", {"text": "buffered"}))

    layer = AnswersHealthWhileRedisIsDown(Buffered())
    assert results(layer.receive_twisted(["daphne.response.X!"])) == [
        ("daphne.response.X!a", {"text": "buffered"})]
    assert results(layer.receive_twisted(["daphne.response.X!"])) == [
        ("daphne.response.X!a", {"text": "buffered"})]
