"""rediss:// URLs with an ACL user: what the kit's connections are given, and what is shown."""
import pytest

from channels_kit.connections.redis_urls import connection_options, redact, redact_all

URL = ("rediss://chan:s%40cret@redis.example:6380/2?ssl_ca_certs=/ca.crt"
       "&ssl_certfile=/c.crt&ssl_keyfile=/c.key&ssl_cert_reqs=required")


def test_a_rediss_url_gives_the_user_the_password_and_the_tls_options():
    options = connection_options(URL)
    assert (options["host"], options["port"], options["db"]) == ("redis.example", 6380, 2)
    assert (options["username"], options["password"]) == ("chan", "s@cret")
    assert dict(options["tls"]) == {"ssl_ca_certs": "/ca.crt", "ssl_certfile": "/c.crt",
                                    "ssl_keyfile": "/c.key", "ssl_cert_reqs": "required"}


def test_a_redis_url_has_no_tls_and_no_user():
    options = connection_options("redis://127.0.0.1:6379/0")
    assert options["tls"] is None and options["username"] is None and options["password"] is None


def test_the_db_and_socket_options_redis_py_reads_from_a_query_are_read_alike():
    options = connection_options("redis://h:1?db=3&socket_timeout=2.5&socket_keepalive=true")
    assert (options["db"], options["socket_timeout"], options["socket_keepalive"]) == (3, 2.5, True)


def test_an_unknown_option_or_cert_reqs_is_refused_without_the_password():
    with pytest.raises(ValueError) as unknown:
        connection_options("rediss://chan:topsecret@h:1/0?ssl_verify=yes")
    assert "ssl_verify" in str(unknown.value) and "topsecret" not in str(unknown.value)
    with pytest.raises(ValueError) as reqs:
        connection_options("rediss://chan:topsecret@h:1/0?ssl_cert_reqs=maybe")
    assert "topsecret" not in str(reqs.value)


def test_redact_hides_the_password_and_keeps_the_rest():
    assert redact(URL).startswith("rediss://chan:***@redis.example:6380/2?ssl_ca_certs=/ca.crt")
    assert redact("redis://:pw@h:1/0") == "redis://:***@h:1/0"
    assert redact("redis://h:1/0") == "redis://h:1/0"
    assert redact_all("redis://:a@h:1/0,redis://:b@h:2/0") == "redis://:***@h:1/0,redis://:***@h:2/0"
