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

Managed services put TLS and logins on both sides: the Sentinels have a
password (or an ACL user) of their own, the masters speak TLS only and know
the application as an ACL user. Then the URL carries each Sentinel as a
``redis://``/``rediss://`` URL and the master's as one without a host
(the Sentinels name it), all in its query:
``sentinel:///mymaster?sentinel=rediss://...&sentinel=...&master=rediss://user:pw@/0?...``.
``url()`` builds it; the nested URLs keep redis_urls' options and meaning.
"""
import collections
from urllib.parse import parse_qsl, quote, urlsplit

import redis
import redis.sentinel

from channels_kit.connections import redis_urls

SCHEME = "sentinel"
# Seconds a Sentinel may take to answer "which is the master?" before the next is asked.
SENTINEL_TIMEOUT = 0.5
# Seconds txredisapi waits for a usable answer from the Sentinels before it asks again.
DISCOVERY_RETRY = 0.5

Setup = collections.namedtuple("Setup", "sentinels service master")


def is_sentinel_url(url):
    return isinstance(url, str) and url.startswith(SCHEME + "://")


def url(sentinels, service, master=None):
    """The ``sentinel://`` URL for Sentinels (``host:port`` or redis[s]:// URLs) and a service.

    ``master``: a ``redis://`` or ``rediss://`` URL without a host, for the
    master's TLS, ACL user, password and db. Plain ``host:port`` Sentinels
    and no master give the short form.
    """
    if master is None and not any("://" in entry for entry in sentinels):
        return "%s://%s/%s" % (SCHEME, ",".join(sentinels), service)
    query = [("sentinel", entry if "://" in entry else "redis://" + entry) for entry in sentinels]
    query += [("master", master)] if master else []
    setup = "%s:///%s?%s" % (SCHEME, service, "&".join(
        "%s=%s" % (name, quote(value, safe=redis_urls.NESTED_SAFE)) for name, value in query))
    parse(setup)  # refuses a bad one now, in the settings, rather than at the first connection
    return setup


def parse(sentinel_url):
    """A ``sentinel://`` URL -> Setup(sentinels=[redis[s]:// URL, ...], service, master URL)."""
    parts = urlsplit(sentinel_url)
    service = parts.path.strip("/")
    if parts.netloc:
        sentinels = ["redis://" + address for address in parts.netloc.split(",")]
        master, unknown = "redis://", parts.query
    else:
        query = parse_qsl(parts.query)
        sentinels = [value for name, value in query if name == "sentinel"]
        masters = [value for name, value in query if name == "master"] or ["redis://"]
        master, unknown = masters[-1], [name for name, _ in query
                                        if name not in ("sentinel", "master")]
    if not sentinels or not service or unknown:
        raise ValueError("expected sentinel://host:port[,host:port...]/service, got %s"
                         % redis_urls.redact(sentinel_url))
    for entry in sentinels:
        if not urlsplit(entry).port:
            raise ValueError("a Sentinel needs a host and port: %s" % redis_urls.redact(entry))
        redis_urls.connection_options(entry)
    if urlsplit(master).hostname:
        raise ValueError("the master's URL must name no host (the Sentinels name the master): %s"
                         % redis_urls.redact(master))
    redis_urls.connection_options(master)
    return Setup(sentinels, service, master)


def master_options(setup):
    """The master's connection options (TLS, ACL user, password, db), less the address."""
    options = redis_urls.connection_options(setup.master)
    del options["host"], options["port"]
    return options


class Connection(redis_urls.UrlConnection, redis.sentinel.SentinelManagedConnection):
    """redis-py's Sentinel-managed connection, with the master URL's TLS and ACL user."""


class Sentinels(redis.sentinel.Sentinel):
    """redis-py's Sentinel manager, saying why no Sentinel named a master.

    redis-py skips a Sentinel it cannot reach or log in to without a word,
    so a wrong Sentinel password or certificate read "No master found" in
    health and in every worker's log. Only then, each Sentinel is asked
    once more, and what refused it goes into the error.
    """

    def discover_master(self, service_name):
        try:
            return super().discover_master(service_name)
        except redis.sentinel.MasterNotFoundError:
            raise redis.sentinel.MasterNotFoundError("No master found for %r (%s)" % (
                service_name, "; ".join(self._reasons()) or "the Sentinels name none that is up"))

    def _reasons(self):
        reasons = set()
        for watcher in self.sentinels:
            try:
                watcher.ping()
            except redis.exceptions.RedisError as error:
                reasons.add(str(error))
        return sorted(reasons)


def master_client(sentinel_url, redis_class=redis.StrictRedis, connection_class=Connection,
                  **kwargs):
    """A redis-py client on the current master (found again whenever it reconnects)."""
    setup = parse(sentinel_url)
    manager = Sentinels([])
    # Each Sentinel on the kit's connections: its own TLS and login, if any.
    manager.sentinels = [redis_urls.client(entry, socket_timeout=SENTINEL_TIMEOUT)
                         for entry in setup.sentinels]
    return manager.master_for(setup.service, redis_class=redis_class,
                              connection_class=connection_class,
                              **dict(master_options(setup), **kwargs))


def twisted_master(sentinel_url, **kwargs):
    """A txredisapi handler on the current master, for daphne's reactor."""
    import txredisapi
    setup = parse(sentinel_url)
    options = master_options(setup)
    manager = _twisted_sentinel(txredisapi)(setup.sentinels, options["tls"])
    # Sentinels asked while a failover is under way name no usable master;
    # txredisapi then waits out this timeout (10 s by default) before it
    # asks again, which kept daphne's replies away for 10 s after a failover.
    manager.discovery_timeout = DISCOVERY_RETRY
    return manager.master_for(setup.service, factory_class=_byte_reply_factory(txredisapi),
                              dbid=options["db"], password=options["password"],
                              username=options["username"], **kwargs)


def _twisted_connection(txredisapi, entry):
    """A lazy txredisapi connection to one Sentinel, with its URL's TLS and login."""
    options = redis_urls.connection_options(entry)
    tls = options["tls"]
    return txredisapi.lazyConnection(
        options["host"], options["port"], password=options["password"],
        username=options["username"],
        ssl_context_factory=redis_urls.twisted_tls(options["host"], tls) if tls else False)


def _twisted_sentinel(txredisapi):
    """txredisapi's Sentinel, each Sentinel and the master reached with their URLs' TLS.

    txredisapi's own connects to Sentinels and masters in the clear, with
    one password for every Sentinel.
    """
    class MasterEndpoint(txredisapi._SentinelEndpoint):
        def __init__(self, factory, tls):
            super().__init__(factory)
            self.tls = tls

        def _connect(self, addr, protocolFactory):
            host, port = addr
            context = redis_urls.twisted_tls(host, self.tls) if self.tls else None
            endpoint = txredisapi._makeEndpoint(host, port, self.factory.maxDelay, context)
            return endpoint.connect(protocolFactory)

    class TlsSentinel(txredisapi.Sentinel):
        def __init__(self, sentinels, master_tls):
            super().__init__([])
            self.sentinels = [_twisted_connection(txredisapi, entry) for entry in sentinels]
            self.master_tls = master_tls

        def _connect_factory_and_return_handler(self, factory):
            factory.startConnecting(MasterEndpoint(factory, self.master_tls))
            return factory.handler

    return TlsSentinel


def _byte_reply_factory(txredisapi):
    """txredisapi's Sentinel connection factory, for connections that keep replies as bytes.

    The layer's connections use ``charset=None`` (message contents are
    binary). txredisapi checks a new connection's ROLE reply against the str
    "master", so with bytes replies every connection to the master was
    dropped as "not the master" and retried forever.

    ROLE is one of the ``@dangerous`` commands a managed Redis withholds
    from its ACL users; refused it (NOPERM), the connection trusts the
    Sentinels, who named this server the master a moment ago, as redis-py's
    Sentinel connections always do. Refused for want of a login (a wrong
    password), it goes on to txredisapi's own login, which reports the
    refusal to the factory as a plain connection's does; txredisapi's
    Sentinel connection left it open and unready, without a word.
    """
    class ByteReplyProtocol(txredisapi.SentinelRedisProtocol):
        def connectionMade(self):
            if self.password is not None:
                self.auth(self.password, self.username)
            return self.role().addCallbacks(self._role_checked, self._role_refused)

        def _role_refused(self, failure):
            failure.trap(txredisapi.ResponseError)
            return txredisapi.RedisProtocol.connectionMade(self)

        def _role_checked(self, role):
            name = role[0].decode() if isinstance(role[0], bytes) else role[0]
            if self.factory.is_master and name != "master":
                self.transport.loseConnection()
                return None
            return txredisapi.RedisProtocol.connectionMade(self)

    class ByteReplyFactory(txredisapi.SentinelConnectionFactory):
        protocol = ByteReplyProtocol

    return ByteReplyFactory
