"""``GET /metrics`` through a real split: counters from every process, and who may read them."""
import time
import urllib.error
import urllib.request

import pytest
import websocket
from prometheus_client.parser import text_string_to_metric_families

from tests.support.splits import running_split

TOKEN = "metrics-test-token"
ECHOES = 25


@pytest.fixture(scope="module")
def own_split(tmp_path_factory):
    # --proxy-headers: daphne takes the client's address from X-Forwarded-For,
    # as behind the project's nginx, so a test can come from another address.
    env = {"METRICS_TOKEN": TOKEN, "DAPHNE_FLAGS": "--proxy-headers"}
    with running_split("metrics", tmp_path_factory.mktemp("metrics"), env=env) as running:
        yield running


def get(split, headers=None):
    request = urllib.request.Request(split.url + "/metrics", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def samples(split):
    status, text = get(split)
    assert status == 200, text
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found, name, **labels):
    return found.get((name, tuple(sorted(labels.items()))), 0)


ECHO_RECEIVE = "consumers.echo.receive"


def echo_counts(split):
    found = samples(split)
    return (value(found, "channels_daphne_frames_in_total"),
            value(found, "channels_daphne_frames_out_total"),
            value(found, "channels_worker_consumer_seconds_count", consumer=ECHO_RECEIVE))


def counts_become(split, expected, within=20):
    deadline = time.monotonic() + within
    while True:
        counts = echo_counts(split)
        if counts == expected or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def test_echoes_move_the_daphne_and_worker_counters_by_their_number(own_split):
    before = echo_counts(own_split)
    sock = websocket.create_connection(own_split.ws_url + "/echo/", origin=own_split.url, timeout=10)
    try:
        for n in range(ECHOES):
            sock.send("echo %d" % n)
            assert sock.recv() == "echo %d" % n
        assert value(samples(own_split), "channels_daphne_open_sockets") == 1
    finally:
        sock.close()
    assert counts_become(own_split, tuple(count + ECHOES for count in before)) == tuple(
        count + ECHOES for count in before)


def test_the_layer_reports_the_workers_queues(own_split):
    found = samples(own_split)
    assert ("channels_layer_queue_depth", (("channel", "websocket.receive"),)) in found
    assert ("channels_layer_oldest_message_seconds", (("channel", "websocket.receive"),)) in found


def test_another_address_is_refused_with_a_json_403(own_split):
    status, body = get(own_split, {"X-Forwarded-For": "203.0.113.7"})
    assert status == 403
    assert '"error": "metrics-forbidden"' in body
    assert "channels_daphne" not in body


def test_a_wrong_token_is_refused_and_the_right_one_reads(own_split):
    elsewhere = {"X-Forwarded-For": "203.0.113.7"}
    assert get(own_split, dict(elsewhere, Authorization="Bearer wrong"))[0] == 403
    status, body = get(own_split, dict(elsewhere, Authorization="Bearer " + TOKEN))
    assert status == 200
    assert "channels_daphne_frames_in_total" in body
    assert TOKEN not in body
