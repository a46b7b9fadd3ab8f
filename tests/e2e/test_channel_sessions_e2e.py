"""The Redis channel-session engine: Django's SessionStore contract on real Redis.

channel_session relies on exactly these: a new socket's session is created
with save(must_create=True) and a second creator must get CreateError (it
then retries the message with ConsumeLater); load of a missing key is empty.
"""
import pytest
import redis
from channels.sessions import session_for_reply_channel
from django.contrib.sessions.backends.base import CreateError
from django.test import override_settings

from channels_kit.channel_sessions import KEY_PREFIX, SessionStore
from tests.support.wire import recv_json


DB = 3


@pytest.fixture
def redis_url(split):
    url = split.redis_url.rsplit("/", 1)[0] + "/%d" % DB
    redis.StrictRedis.from_url(url).flushdb()
    with override_settings(CHANNEL_SESSION_REDIS_URL=url,
                           CHANNEL_SESSION_ENGINE="channels_kit.channel_sessions"):
        yield url


def test_channel_session_round_trip_and_ttl(redis_url):
    """As channel_session uses it: keyed by the reply channel, created, saved, read back."""
    reply = "daphne.response.AbCdEfGhIj!kLmNoPqRsTuV"
    session = session_for_reply_channel(reply)
    assert isinstance(session, SessionStore)
    assert not session.exists(session.session_key)
    session.save(must_create=True)
    session["room"] = "red"
    session.save()
    again = session_for_reply_channel(reply)
    assert again.session_key == session.session_key
    assert again["room"] == "red"
    ttl = redis.StrictRedis.from_url(redis_url).ttl(KEY_PREFIX + again.session_key)
    assert 0 < ttl <= again.get_expiry_age()


def test_second_create_of_the_same_key_is_refused(redis_url):
    SessionStore("chn" + "b" * 29).save(must_create=True)
    with pytest.raises(CreateError):
        SessionStore("chn" + "b" * 29).save(must_create=True)


def test_delete_and_new_keys(redis_url):
    session = SessionStore()
    session["x"] = 1
    session.save()
    key = session.session_key
    assert key and session.exists(key)
    session.delete()
    assert not SessionStore().exists(key)
    assert SessionStore(key).load() == {}


def test_the_split_keeps_channel_sessions_in_redis(split, ws):
    """A room socket's session (its room, its order counter) lands in the split's Redis."""
    sock = ws("/chat/sessioned/")
    sock.send('{"text": "hi"}')
    assert recv_json(sock)["text"] == "hi"
    keys = redis.StrictRedis.from_url(split.redis_url).keys(KEY_PREFIX + "*")
    assert keys, "no channel session in Redis"
