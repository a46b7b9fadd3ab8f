"""Redis commands packed by hiredis (compiled), byte for byte as redis-py and txredisapi pack them.

redis-py 2.10 and txredisapi build every command in Python, argument by
argument; the layer's connections, daphne's included, have hiredis build
the same bytes instead (docs/performance.md has what that saves).
"""
import hiredis
import redis
import redis.sentinel
import txredisapi

from channels_kit.connections.redis_urls import UrlConnection

# Argument types hiredis writes exactly as redis-py 2.10 and txredisapi do
# (str as UTF-8, int in decimal); bool, float and the rest are left to them.
HIREDIS_AS_IS = (bytes, str, int)


class HiredisPacking:
    """Commands packed by hiredis, byte for byte as redis-py would (a connection mixin).

    Bytes and str (redis-py's default UTF-8) go to hiredis as they are;
    everything else (ints, floats, redis-py's Tokens) is encoded by redis-py
    first, so every argument means exactly what it meant before.
    """

    def pack_command(self, *args):
        encode = self.encoder.encode
        parts = args[0].split() if " " in args[0] else [args[0]]
        parts.extend(arg if type(arg) in HIREDIS_AS_IS else encode(arg) for arg in args[1:])
        return [hiredis.pack_command(tuple(parts))]


class HiredisPackedConnection(HiredisPacking, UrlConnection, redis.connection.Connection):
    """A redis-py connection whose commands are packed by hiredis (with the URL's TLS and ACL user)."""


class HiredisPackedSentinelConnection(HiredisPacking, UrlConnection,
                                      redis.sentinel.SentinelManagedConnection):
    """The same, on whichever server the Sentinels name the master."""


class HiredisPackedProtocol(txredisapi.RedisProtocol):
    """txredisapi's protocol (daphne's connections) with commands packed by hiredis.

    txredisapi builds every command argument by argument in Python, a large
    share of daphne's busy time under an echo load. Commands whose arguments
    are all str, bytes or int (every command the layer sends) are packed by
    hiredis into the same bytes.
    """

    def _build_command(self, *args, **kwargs):
        if all(type(arg) in HIREDIS_AS_IS for arg in args):
            return hiredis.pack_command(args)
        return super()._build_command(*args, **kwargs)
