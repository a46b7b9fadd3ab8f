"""The kit's Origin check compares scheme, host and port with the handshake's own Host.

Each case is a websocket.connect message as daphne 1.4 builds it (headers as
byte pairs); the check answers whether the socket may open.
"""
import pytest
from channels.exceptions import DenyConnection
from channels.message import Message

from channels_kit.origin import origin_allowed, same_origin_only


def connect(host="127.0.0.1:8000", origin=None, **content):
    headers = [[b"host", host.encode()]] if host is not None else []
    if origin is not None:
        headers.append([b"origin", origin.encode()])
    return Message(dict({"headers": headers, "path": "/echo/", "reply_channel": "r!x"}, **content),
                   "websocket.connect", None)


@pytest.fixture(autouse=True)
def site(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "example.com"]
    settings.WEBSOCKET_TRUSTED_ORIGINS = []


@pytest.mark.parametrize("origin", [
    "http://127.0.0.1:8000", "HTTP://127.0.0.1:8000", "http://127.0.0.1:8000/",
])
def test_the_pages_own_origin_is_allowed(origin):
    assert origin_allowed(connect(), origin)


@pytest.mark.parametrize("origin", [
    "http://127.0.0.1:8080",        # another port of the same host: the hijack
    "http://127.0.0.1",             # port 80 is another origin than 8000
    "https://127.0.0.1:8000",       # another scheme
    "http://localhost:8000",        # another host, though allowed
    "http://127.0.0.1.evil.example:8000",
    "null", "", "127.0.0.1:8000", "file://", "http://u:p@127.0.0.1:8000",
    "http://127.0.0.1:8000/page", "http://127.0.0.1:99999", "http://127.0.0.1:x",
])
def test_any_other_origin_is_refused(origin):
    assert not origin_allowed(connect(), origin)


def test_default_ports_are_filled_in():
    assert origin_allowed(connect(host="example.com"), "http://example.com:80")
    assert origin_allowed(connect(host="example.com:80"), "http://example.com")


def test_a_host_outside_allowed_hosts_is_refused_even_when_origin_matches():
    # DNS rebinding: the attacker's name resolves to the server; Host and Origin agree.
    assert not origin_allowed(connect(host="evil.example:8000"), "http://evil.example:8000")


def test_no_host_header_is_refused():
    assert not origin_allowed(connect(host=None), "http://127.0.0.1:8000")


def test_trusted_origins_let_a_tls_proxy_through(settings):
    behind_proxy = connect(host="example.com")
    assert not origin_allowed(behind_proxy, "https://example.com")
    settings.WEBSOCKET_TRUSTED_ORIGINS = ["https://example.com", "not an origin"]
    assert origin_allowed(behind_proxy, "https://example.com")
    assert origin_allowed(behind_proxy, "https://example.com:443")
    assert not origin_allowed(behind_proxy, "https://example.com:8443")


def test_the_decorator_denies_the_connection():
    consumer = same_origin_only(lambda message: "accepted")
    assert consumer(connect(origin="http://127.0.0.1:8000")) == "accepted"
    with pytest.raises(DenyConnection):
        consumer(connect(origin="http://127.0.0.1:8001"))
    with pytest.raises(DenyConnection):
        consumer(connect())  # no Origin at all
