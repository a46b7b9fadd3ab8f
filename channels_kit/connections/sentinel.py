"""Redis Sentinel for the layer and channel sessions: ``sentinel://`` URLs.

``sentinel://10.0.0.5:26379,10.0.0.6:26379,10.0.0.7:26379/mymaster`` names
the Sentinel servers and the service they watch. Wherever the kit takes a
Redis URL (the layer's ``hosts``, ``CHANNEL_SESSION_REDIS_URL``) it takes one
of these too, and then talks to whichever server those Sentinels call the
master: redis-py's ``Sentinel`` for blocking clients, txredisapi's for
daphne's Twisted connections. Both ask the Sentinels again on every new
connection, so after a failover the next reconnect lands on the new master.
asgi_redis's own ``RedisSentinelChannelLayer`` would do this for the stock
layer only; this keeps the tuned layer's receive, sends and drop counts.
"""
from urllib.parse import urlparse

import redis
import redis.sentinel

SCHEME = "sentinel"
# Seconds a Sentinel may take to answer "which is the master?" before the next is asked.
SENTINEL_TIMEOUT = 0.5
# Seconds txredisapi waits for a usable answer from the Sentinels before it asks again.
DISCOVERY_RETRY = 0.5


def is_sentinel_url(url):
    return isinstance(url, str) and url.startswith(SCHEME + "://")


def parse(url):
    """``sentinel://h:p,h:p/service`` -> ([(h, p), ...], service)."""
    parsed = urlparse(url)
    sentinels = []
    for address in parsed.netloc.split(","):
        host, _, port = address.rpartition(":")
        sentinels.append((host, int(port)))
    service = parsed.path.strip("/")
    if not sentinels or not service:
        raise ValueError("expected sentinel://host:port[,host:port...]/service, got %r" % url)
    return sentinels, service


def url(sentinels, service):
    return "%s://%s/%s" % (SCHEME, ",".join(sentinels), service)


def master_client(sentinel_url, redis_class=redis.StrictRedis, **kwargs):
    """A redis-py client on the current master (found again whenever it reconnects)."""
    sentinels, service = parse(sentinel_url)
    manager = redis.sentinel.Sentinel(sentinels, sentinel_kwargs={"socket_timeout": SENTINEL_TIMEOUT})
    return manager.master_for(service, redis_class=redis_class, **kwargs)


def twisted_master(sentinel_url, **kwargs):
    """A txredisapi handler on the current master, for daphne's reactor."""
    import txredisapi
    sentinels, service = parse(sentinel_url)
    manager = txredisapi.Sentinel(sentinels)
    # Sentinels asked while a failover is under way name no usable master;
    # txredisapi then waits out this timeout (10 s by default) before it
    # asks again, which kept daphne's replies away for 10 s after a failover.
    manager.discovery_timeout = DISCOVERY_RETRY
    return manager.master_for(service, factory_class=_byte_reply_factory(txredisapi), **kwargs)


def _byte_reply_factory(txredisapi):
    """txredisapi's Sentinel connection factory, for connections that keep replies as bytes.

    The layer's connections use ``charset=None`` (message contents are
    binary). txredisapi checks a new connection's ROLE reply against the str
    "master", so with bytes replies every connection to the master was
    dropped as "not the master" and retried forever.
    """
    class ByteReplyProtocol(txredisapi.SentinelRedisProtocol):
        def connectionMade(self):
            if self.password is not None:
                self.auth(self.password, self.username)
            return self.role().addCallback(self._role_checked)

        def _role_checked(self, role):
            name = role[0].decode() if isinstance(role[0], bytes) else role[0]
            if self.factory.is_master and name != "master":
                self.transport.loseConnection()
                return None
            return txredisapi.RedisProtocol.connectionMade(self)

    class ByteReplyFactory(txredisapi.SentinelConnectionFactory):
        protocol = ByteReplyProtocol

    return ByteReplyFactory
