"""Rooms that remember, through the real split: a listener that drops catches up, exactly once."""
import json
import uuid

from channels_kit.history import GroupHistory
from channels_kit.layer import RedisChannelLayer
from tests.support.wire import recv_json


def say(speaker, texts):
    """Send each text and wait for the speaker's own copy, so all of them were handled."""
    for text in texts:
        speaker.send(json.dumps({"text": text}))
        assert recv_json(speaker)["text"] == text


def test_a_listener_that_drops_sees_every_message_exactly_once(ws):
    path = "/chat/remember-%s/" % uuid.uuid4().hex[:8]
    listener = ws(path + "?since=")
    assert recv_json(listener) == {"history": [], "complete": True}
    speaker = ws(path)
    say(speaker, [str(n) for n in range(5)])
    heard = [recv_json(listener) for _ in range(5)]
    assert [m["text"] for m in heard] == ["0", "1", "2", "3", "4"]
    listener.close()

    say(speaker, [str(n) for n in range(5, 15)])
    back = ws(path + "?since=" + heard[-1]["id"])
    caught = recv_json(back)
    # What the page shows: the history less the ids it heard. Those come again only as
    # copies of its last few messages (the catch-up reaches back moments before its id).
    heard_ids = [m["id"] for m in heard]
    again = [m for m in caught["history"] if m["id"] in heard_ids]
    assert again == heard[len(heard) - len(again):]
    new = [m for m in caught["history"] if m["id"] not in heard_ids]
    assert [m["text"] for m in new] == [str(n) for n in range(5, 15)]
    assert caught["complete"] is True
    assert len({m["id"] for m in heard + new}) == 15
    say(speaker, ["15"])
    live = recv_json(back)
    assert live["text"] == "15" and live["id"] not in {m["id"] for m in caught["history"]}


def test_a_page_that_loads_gets_the_rooms_latest_messages(ws):
    path = "/chat/latest-%s/" % uuid.uuid4().hex[:8]
    say(ws(path), ["hello", "anyone here?"])
    latest = recv_json(ws(path + "?since="))
    assert [(m["user"], m["text"]) for m in latest["history"]] == [
        ("anonymous", "hello"), ("anonymous", "anyone here?")]


def test_in_redis_a_gap_older_than_what_is_kept_is_reported(split):
    layer = RedisChannelLayer(hosts=[split.redis_url])
    history = GroupHistory("room-kept-%s" % uuid.uuid4().hex[:8], size=3, layer=layer)
    added = [history.add({"text": str(n)}) for n in range(5)]
    assert [m["text"] for m in history.since("")[0]] == ["2", "3", "4"]
    assert history.since(added[1]["id"]) == (added[2:], True)
    after, complete = history.since(added[0]["id"])
    assert (after, complete) == (added[2:], False)
    assert history.since("1-0") == (added[2:], False)
