"""sentinel:// URLs for Sentinels and masters behind TLS and logins: what reaches each connection."""
import pytest

from channels_kit.connections import sentinel
from channels_kit.connections.redis_urls import redact
from channels_kit.shared_layer import without_password

TLS = "ssl_ca_certs=/ca.crt&ssl_certfile=/c.crt&ssl_keyfile=/c.key"
SENTINELS = ["rediss://watcher:s3ntinel-pw@10.0.0.5:26379?" + TLS,
             "rediss://watcher:s3ntinel-pw@10.0.0.6:26379?" + TLS]
MASTER = "rediss://chan:m%40ster-pw@/2?" + TLS


def test_plain_sentinels_keep_the_short_form():
    url = sentinel.url(["10.0.0.5:26379", "10.0.0.6:26379"], "mymaster")
    assert url == "sentinel://10.0.0.5:26379,10.0.0.6:26379/mymaster"
    assert sentinel.parse(url) == (["redis://10.0.0.5:26379", "redis://10.0.0.6:26379"],
                                   "mymaster", "redis://")


def test_tls_sentinels_and_the_master_url_come_back_as_given():
    setup = sentinel.parse(sentinel.url(SENTINELS, "mymaster", MASTER))
    assert setup == (SENTINELS, "mymaster", MASTER)
    options = sentinel.master_options(setup)
    assert (options["username"], options["password"], options["db"]) == ("chan", "m@ster-pw", 2)
    assert dict(options["tls"])["ssl_ca_certs"] == "/ca.crt"


def test_plain_addresses_mix_with_a_master_url():
    setup = sentinel.parse(sentinel.url(["10.0.0.5:26379"], "mymaster", MASTER))
    assert setup.sentinels == ["redis://10.0.0.5:26379"]


@pytest.mark.parametrize("sentinels, master", [
    (SENTINELS, "rediss://chan:m%40ster-pw@10.0.0.9:6380/0"),  # the Sentinels name the master
    (["rediss://watcher:s3ntinel-pw@10.0.0.5?" + TLS], MASTER),  # a Sentinel without a port
    (SENTINELS, "rediss://chan:m%40ster-pw@/0?ssl_verify=yes"),  # an unknown option
])
def test_a_bad_setup_is_refused_at_once_without_a_password(sentinels, master):
    with pytest.raises(ValueError) as refused:
        sentinel.url(sentinels, "mymaster", master)
    assert "pw" not in str(refused.value)


def test_redact_hides_every_password_and_keeps_the_addresses():
    shown = redact(sentinel.url(SENTINELS, "mymaster", MASTER))
    assert "s3ntinel-pw" not in shown and "ster-pw" not in shown
    assert shown.startswith("sentinel:///mymaster?sentinel=rediss://watcher:***@10.0.0.5:26379?")
    assert "master=rediss://chan:***@/2?" in shown
    hidden = without_password(sentinel.url(SENTINELS, "mymaster", MASTER))
    assert "s3ntinel-pw" not in hidden and "ster-pw" not in hidden


def test_redis_py_clients_reach_sentinels_and_master_with_their_tls_and_users():
    client = sentinel.master_client(sentinel.url(SENTINELS, "mymaster", MASTER))
    master = client.connection_pool.connection_kwargs
    assert (master["username"], master["password"], master["db"]) == ("chan", "m@ster-pw", 2)
    assert dict(master["tls"])["ssl_certfile"] == "/c.crt"
    assert issubclass(client.connection_pool.connection_class, sentinel.Connection)
    watchers = client.connection_pool.sentinel_manager.sentinels
    assert [w.connection_pool.connection_kwargs["port"] for w in watchers] == [26379, 26379]
    first = watchers[0].connection_pool.connection_kwargs
    assert (first["username"], first["password"]) == ("watcher", "s3ntinel-pw")
    assert dict(first["tls"])["ssl_keyfile"] == "/c.key"
