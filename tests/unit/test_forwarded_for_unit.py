"""Behind nginx, the WSGI application sees the client's address, not nginx's."""
from channels_kit.http.forwarded_for import client_address_from_proxy


def address_seen(environ):
    seen = {}

    def application(environ, start_response):
        seen["address"] = environ["REMOTE_ADDR"]
        return []

    client_address_from_proxy(application)(dict(environ), None)
    return seen["address"]


def test_the_forwarded_address_replaces_the_proxys():
    assert address_seen({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}) \
        == "203.0.113.7"


def test_the_address_nearest_the_proxy_wins_over_what_a_client_claims():
    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 203.0.113.7"}
    assert address_seen(environ) == "203.0.113.7"


def test_without_the_header_the_peer_address_stays():
    assert address_seen({"REMOTE_ADDR": "198.51.100.2"}) == "198.51.100.2"
