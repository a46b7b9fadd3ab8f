"""Redis URLs as the kit reads them: ``redis://`` and ``rediss://`` (TLS), with an ACL user.

``rediss://user:password@host:port/db?ssl_ca_certs=...&ssl_certfile=...&ssl_keyfile=...&ssl_cert_reqs=required``

redis-py 2.10 (the version asgi_redis needs) drops a URL's user name and
AUTHs with the password alone, which logs in as Redis's ``default`` user,
and it wraps TLS sockets with ``ssl.wrap_socket``, which Python 3.12
removed. So the kit reads the URL itself: its connections send
``AUTH user password`` and wrap the socket with an ``SSLContext``; daphne's
txredisapi connections get the same options through Twisted
(``twisted_tls``). The TLS options keep the names redis-py's ``from_url``
gives them. Certificates are verified unless ``ssl_cert_reqs=none`` says
otherwise: a managed Redis is reached over networks nobody here controls.
"""
import functools
import ssl
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import redis
from redis._compat import nativestr
from redis.connection import URL_QUERY_ARGUMENT_PARSERS

TLS_OPTIONS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs")
CERT_REQS = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}


# Characters a URL nested in a sentinel:// URL's query keeps as they are (readable,
# and "@" stays where passwords end); "&", "%" and the rest are quoted.
NESTED_SAFE = ":/@?=,*"


def redact(url):
    """The URL with its password replaced by ``***``, fit for logs, errors and pages.

    A ``sentinel://`` URL's Sentinels and master (channels_kit.connections.sentinel) are
    URLs in its query, each redacted alike.
    """
    parts = urlsplit(url)
    if parts.scheme == "sentinel" and not parts.netloc:
        return "sentinel://%s?%s" % (parts.path, "&".join(
            "%s=%s" % (name, quote(redact(value), safe=NESTED_SAFE))
            for name, value in parse_qsl(parts.query)))
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc="%s:***@%s" % (user, host)).geturl()


def redact_all(urls):
    """Comma-separated URLs (a sharded REDIS_URL), each redacted."""
    return ",".join(redact(url) for url in urls.split(","))


def connection_options(url):
    """redis-py connection keyword arguments for a ``redis://`` or ``rediss://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError("not a redis:// or rediss:// URL: %s" % redact(url))
    query = dict(parse_qsl(parts.query))
    tls = {name: query.pop(name) for name in TLS_OPTIONS if name in query}
    db = parts.path.lstrip("/") or query.pop("db", "0")
    # The socket options redis-py's from_url reads from a query, read alike.
    sockets = {name: URL_QUERY_ARGUMENT_PARSERS[name](query.pop(name))
               for name in list(query) if name in URL_QUERY_ARGUMENT_PARSERS}
    if query:
        raise ValueError("unknown options %s in %s" % (", ".join(sorted(query)), redact(url)))
    if tls.get("ssl_cert_reqs", "required") not in CERT_REQS:
        raise ValueError("ssl_cert_reqs must be one of none, optional, required: %s" % redact(url))
    return dict(sockets, **{
        "host": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": int(db),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "tls": tuple(sorted(tls.items())) if parts.scheme == "rediss" else None,
    })


@functools.lru_cache(maxsize=None)
def ssl_context(tls):
    """The stdlib context for one set of TLS options (shared by every connection that uses it)."""
    options = dict(tls)
    context = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
    verify = CERT_REQS[options.get("ssl_cert_reqs", "required")]
    if verify == ssl.CERT_NONE:
        context.check_hostname = False
    context.verify_mode = verify
    if options.get("ssl_certfile"):
        context.load_cert_chain(options["ssl_certfile"], options.get("ssl_keyfile"))
    return context


def twisted_tls(host, tls):
    """Twisted's client TLS options for txredisapi's ``ssl_context_factory``, from the same options."""
    from twisted.internet import ssl as twisted_ssl

    options = dict(tls)
    client = None
    if options.get("ssl_certfile"):
        with open(options["ssl_certfile"]) as cert:
            pem = cert.read()
        if options.get("ssl_keyfile"):
            with open(options["ssl_keyfile"]) as key:
                pem += "\n" + key.read()
        client = twisted_ssl.PrivateCertificate.loadPEM(pem)
    if CERT_REQS[options.get("ssl_cert_reqs", "required")] == ssl.CERT_NONE:
        extra = {"privateKey": client.privateKey.original,
                 "certificate": client.original} if client else {}
        return twisted_ssl.CertificateOptions(verify=False, **extra)
    if options.get("ssl_ca_certs"):
        with open(options["ssl_ca_certs"]) as ca:
            trust = twisted_ssl.Certificate.loadPEM(ca.read())
    else:
        trust = twisted_ssl.platformTrust()
    return twisted_ssl.optionsForClientTLS(host, trustRoot=trust, clientCertificate=client)


class UrlConnection:
    """A redis-py connection mixin: TLS from ``tls``, and ``AUTH user password`` for an ACL user."""

    def __init__(self, username=None, tls=None, **kwargs):
        super().__init__(**kwargs)
        self.username = username
        self.tls = tls

    def _connect(self):
        sock = super()._connect()
        if not self.tls:
            return sock
        try:
            return ssl_context(self.tls).wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise

    def on_connect(self):
        self._parser.on_connect(self)
        if self.password:
            login = (self.username, self.password) if self.username else (self.password,)
            self.send_command("AUTH", *login)
            try:
                answer = self.read_response()
            except redis.exceptions.ResponseError as error:
                # A ConnectionError, so that everything that reports an
                # unreachable Redis (health, workers, daphne) reports this too.
                raise redis.exceptions.ConnectionError(
                    "Redis at %s:%s refused the login of user %r: %s"
                    % (self.host, self.port, self.username or "default", error))
            if nativestr(answer) != "OK":
                raise redis.exceptions.ConnectionError("Redis refused the login: %r" % answer)
        if self.db:
            self.send_command("SELECT", self.db)
            if nativestr(self.read_response()) != "OK":
                raise redis.exceptions.ConnectionError("Invalid Database")


class Connection(UrlConnection, redis.connection.Connection):
    """redis-py's connection, with the URL's TLS and ACL user."""


def client(url, connection_class=Connection, redis_class=redis.StrictRedis, **kwargs):
    """A redis-py client for ``url``; ``kwargs``: other pool options.

    ``redis://`` and ``rediss://`` get the kit's connections; other schemes
    (``unix://``) are left to redis-py as they are.
    """
    if urlsplit(url).scheme not in ("redis", "rediss"):
        return redis_class.from_url(url, **kwargs)
    pool = redis.ConnectionPool(connection_class=connection_class,
                                **dict(kwargs, **connection_options(url)))
    return redis_class(connection_pool=pool)
