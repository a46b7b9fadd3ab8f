"""What channels_kit.asgi1's layers do beyond the conformance suite: what channels itself calls.

The suite (test_layer_conformance_unit.py) checks the specification; these
check the calls channels 1.1.8 makes that the suite does not: its worker's
receive_many with a set of names, and its test client's receive_many.
"""
import pytest

from channels_kit.asgi1.base_layer import BaseChannelLayer
from channels_kit.asgi1.inmemory import ChannelLayer


def test_receive_many_takes_the_set_of_channels_a_worker_listens_on():
    layer = ChannelLayer()
    layer.send("websocket.connect", {"path": "/echo/"})
    assert layer.receive_many({"http.request", "websocket.connect"}, block=True) == \
        ("websocket.connect", {"path": "/echo/"})
    assert layer.receive_many({"http.request", "websocket.connect"}) == (None, None)


@pytest.mark.parametrize("names", ["websocket.connect", [], None])
def test_receive_refuses_what_is_not_a_collection_of_names(names):
    with pytest.raises(TypeError):
        ChannelLayer().receive(names)


def test_a_process_reads_every_channel_of_its_own_prefix_only():
    layer = ChannelLayer()
    layer.send("daphne.response.A!x", {"n": 1})
    layer.send("daphne.response.B!y", {"n": 2})
    assert layer.receive(["daphne.response.A!"]) == ("daphne.response.A!x", {"n": 1})
    assert layer.receive(["daphne.response.A!"]) == (None, None)


def test_capacities_match_globs_and_compiled_patterns_first_match_wins():
    import re
    layer = BaseChannelLayer(capacity=7, channel_capacity={
        "daphne.response*": 1000, re.compile(r"^http\."): 50})
    assert layer.get_capacity("daphne.response.abc!") == 1000
    assert layer.get_capacity("http.request") == 50
    assert layer.get_capacity("websocket.receive") == 7


def test_group_membership_expires_after_group_expiry(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("channels_kit.asgi1.inmemory.time.time", lambda: clock[0])
    layer = ChannelLayer(group_expiry=10)
    layer.group_add("room", "member")
    assert layer.group_channels("room") == ["member"]
    clock[0] += 11
    assert layer.group_channels("room") == []
