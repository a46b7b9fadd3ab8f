"""The WebSocket Origin check on scheme, host AND port: ``same_origin_only``.

Channels 1.x's ``allowed_hosts_only`` compares only the *hostname* of the
Origin header with ``ALLOWED_HOSTS``. A page served from another port of the
same host (a dev server, a second app, anything an attacker can get onto
``127.0.0.1:8080``) passes it, and the browser sends that page's sockets the
site's cookies: SameSite=Lax treats every port of a host as the same site.
That page can then drive any socket the signed-in user may open, a staff
terminal included (cross-site WebSocket hijacking).

``same_origin_only`` accepts a handshake only when its Origin is one of the
site's own origins:

- the origin the browser asked for: ``http://`` + the handshake's ``Host``
  header (daphne 1.4 speaks plain ``ws://``; the Host must pass
  ``ALLOWED_HOSTS`` as it does for Django's views), compared on scheme, host
  and port, default ports filled in;
- or one listed in ``WEBSOCKET_TRUSTED_ORIGINS`` (``["https://example.com"]``),
  for a deployment whose TLS ends at a proxy in front of daphne, where the
  browser's origin is ``https://`` but daphne sees ``ws://``.

A missing, ``null``, malformed or non-ASCII Origin is refused, as is a Host
outside ``ALLOWED_HOSTS``. A refusal raises ``DenyConnection``: the worker
answers ``{"accept": False}`` and daphne turns it into HTTP 403.

It is a ``BaseOriginValidator``, so it decorates function consumers
(outermost) and, through ``method_decorator``, a class-based consumer's
``raw_connect`` (``channels_kit.class_consumers.CheckedConsumerMixin``).
"""
from urllib.parse import urlsplit

from channels.security.websockets import BaseOriginValidator
from django.conf import settings
from django.http.request import validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
# What a browser puts in Origin for a socket daphne received as ws:// or wss://.
PAGE_SCHEME = {"ws": "http", "wss": "https"}
# Django's own fallback when DEBUG is on and ALLOWED_HOSTS is empty.
DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]


def parse_origin(text):
    """``(scheme, host, port)`` of an ``http(s)://host[:port]`` origin; None for anything else."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def trusted_origins():
    """The parsed ``WEBSOCKET_TRUSTED_ORIGINS``; an entry that is not an origin is ignored."""
    found = (parse_origin(text) for text in getattr(settings, "WEBSOCKET_TRUSTED_ORIGINS", ()))
    return {origin for origin in found if origin is not None}


def allowed_hosts():
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return DEBUG_HOSTS
    return settings.ALLOWED_HOSTS


def header(message, name):
    """The first value of header ``name`` (bytes) as ASCII text; None if absent or not ASCII."""
    for pair in message.content.get("headers") or ():
        if len(pair) >= 2 and pair[0] == name:
            try:
                return bytes(pair[1]).decode("ascii")
            except (TypeError, UnicodeDecodeError):
                return None
    return None


def own_origin(message):
    """The origin the handshake's Host header names, if that host is allowed; else None."""
    host = header(message, b"host")
    scheme = PAGE_SCHEME.get(message.content.get("scheme") or "ws")
    if not host or scheme is None:
        return None
    origin = parse_origin("%s://%s" % (scheme, host))
    if origin is None:
        return None
    hostname = "[%s]" % origin[1] if ":" in origin[1] else origin[1]
    return origin if validate_host(hostname, allowed_hosts()) else None


def origin_allowed(message, origin_text):
    """Whether ``origin_text`` is the site's own origin for this handshake, or a trusted one."""
    origin = parse_origin(origin_text or "")
    if origin is None:
        return False
    own = own_origin(message)
    return own is not None and (origin == own or origin in trusted_origins())


class SameOriginValidator(BaseOriginValidator):
    """Decorator: refuse a websocket.connect whose Origin is not one of the site's own."""

    def validate_origin(self, message, origin):
        return origin_allowed(message, origin)


same_origin_only = SameOriginValidator
