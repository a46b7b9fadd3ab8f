"""The tuned layer's connections send the same bytes as redis-py 2.10 and txredisapi, packed by hiredis."""
import pytest
import redis
import txredisapi
from redis.connection import Token

from channels_kit.layer import HiredisPackedConnection, HiredisPackedProtocol, RedisChannelLayer

COMMANDS = [
    ("EVALSHA", "a" * 40, 2, "asgi:websocket.receive", b"asgi:key", 60, 1000, b"\x82\xa4text"),
    ("SET", "asgi:k", "caf\u00e9 \U0001F600", Token.get_token("EX"), 60),
    ("ZADD", "asgi:group:room", 1732240000.123456, "daphne.response.Ab!cd"),
    ("ZREMRANGEBYSCORE", "asgi:group:room", 0, -86400),
    ("SCRIPT LOAD", "return 1"),
    ("CONFIG GET", "maxmemory"),
    ("HSET", "h", "flag", True),
    ("BLPOP", "a", "b", 5),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_same_bytes_as_redis_py(command):
    ours = b"".join(HiredisPackedConnection().pack_command(*command))
    theirs = b"".join(redis.connection.Connection().pack_command(*command))
    assert ours == theirs


def test_pipelines_pack_the_same_bytes():
    ours = b"".join(HiredisPackedConnection().pack_commands(COMMANDS))
    theirs = b"".join(redis.connection.Connection().pack_commands(COMMANDS))
    assert ours == theirs


def test_the_layer_uses_it_for_tcp_hosts_only():
    layer = RedisChannelLayer(hosts=["redis://127.0.0.1:1/0", "unix:///tmp/none.sock?db=0"])
    classes = [c.connection_pool.connection_class for c in layer._connection_list]
    assert classes == [HiredisPackedConnection, redis.connection.UnixDomainSocketConnection]


# What daphne's txredisapi connections send: the layer's scripts and BLPOP.
TWISTED_COMMANDS = [
    ("EVALSHA", "a" * 40, 2, "asgi:websocket.receive", "asgi:key", b"\x82\xa4text", 60, "back"),
    ("EVAL", "return 1", 1, "caf\u00e9 \U0001F600", -86400),
    ("BLPOP", "asgi:daphne.response.Ab!", 5),
    ("SET", "k", 1.5),  # a float: left to txredisapi
]


@pytest.mark.parametrize("command", TWISTED_COMMANDS, ids=lambda c: c[0])
def test_daphnes_connections_send_the_same_bytes_as_txredisapi(command):
    ours, theirs = HiredisPackedProtocol(charset=None), txredisapi.RedisProtocol(charset=None)
    assert ours._build_command(*command) == theirs._build_command(*command)
