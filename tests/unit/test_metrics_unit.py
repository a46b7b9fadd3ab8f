"""The metrics: who may read /metrics, what the exposition holds, and daphne's hooks counting."""
import json
import os

import pytest
import redis
from django.test import RequestFactory, override_settings
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from channels_kit.metrics import view
from channels_kit.metrics.access import may_read
from channels_kit.metrics.layer_stats import TOP_GROUPS, LayerCollector
from tests.unit.test_flow_control_unit import Clock, Timers, frame, limited, open_socket

requests = RequestFactory()


def request_from(address, authorization=None):
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return requests.get("/metrics", REMOTE_ADDR=address, **extra)


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.9", "::1"])
def test_loopback_may_read(address):
    assert may_read(request_from(address))


def test_a_listed_address_may_read_and_another_may_not():
    assert may_read(request_from("10.0.0.5"), allowed_ips=["10.0.0.5"])
    assert not may_read(request_from("10.0.0.6"), allowed_ips=["10.0.0.5"])


def test_only_the_right_bearer_token_lets_another_address_read():
    assert may_read(request_from("203.0.113.7", "Bearer s3cret"), token="s3cret")
    assert not may_read(request_from("203.0.113.7", "Bearer wrong"), token="s3cret")
    assert not may_read(request_from("203.0.113.7", "Basic s3cret"), token="s3cret")
    assert not may_read(request_from("203.0.113.7"), token="s3cret")


def test_no_token_configured_means_no_token_opens_it():
    assert not may_read(request_from("203.0.113.7", "Bearer "), token="")
    assert not may_read(request_from("garbage"), token="")


@override_settings(METRICS_TOKEN="s3cret", METRICS_ALLOWED_IPS=[])
def test_the_view_refuses_others_with_a_json_403():
    response = view.metrics(request_from("203.0.113.7", "Bearer nope"))
    assert response.status_code == 403
    assert json.loads(response.content)["error"] == "metrics-forbidden"
    assert b"s3cret" not in response.content


@override_settings(METRICS_DIR="")
def test_the_view_serves_prometheus_text_to_loopback():
    response = view.metrics(request_from("127.0.0.1"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {sample.name for family in text_string_to_metric_families(response.content.decode())
               for sample in family.samples}
    assert {"channels_daphne_frames_in_total", "channels_daphne_open_sockets"} <= samples


class StatsLayer:
    """What LayerCollector reads: asgi_redis's statistics and the kit's drop counts."""
    extensions = ["statistics"]

    def __init__(self, drops):
        self.drops = drops

    def channel_statistics(self, channel):
        return {"messages_pending": 3, "messages_max_age": 1.5, "channel_full_count": 2}

    def drop_counts(self):
        return self.drops


def collected(layer, channels):
    collector = LayerCollector.__new__(LayerCollector)
    collector.layer, collector.channels = layer, sorted(channels)
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in collector.collect() for sample in family.samples}


def test_queue_depth_and_oldest_age_per_listened_channel():
    found = collected(StatsLayer({}), ["websocket.receive"])
    assert found[("channels_layer_queue_depth", (("channel", "websocket.receive"),))] == 3
    assert found[("channels_layer_oldest_message_seconds", (("channel", "websocket.receive"),))] == 1.5


def test_group_drops_are_limited_to_the_groups_with_the_most():
    drops = {"group:room-%d" % n: n + 1 for n in range(TOP_GROUPS + 5)}
    drops["daphne.response.*"] = 7
    found = collected(StatsLayer(drops), [])
    assert found[("channels_layer_drops_total", (("pattern", "daphne.response.*"),))] == 7
    groups = {labels[0][1] for (name, labels) in found if name == "channels_layer_group_drops_total"}
    assert len(groups) == TOP_GROUPS
    assert "room-%d" % (TOP_GROUPS + 4) in groups and "room-0" not in groups


def test_dead_processes_lose_their_live_gauges_but_not_their_counters(tmp_path):
    dead = 2 ** 22 + 12345  # above Linux's largest process id
    for name in ("gauge_livesum_%d.db" % dead, "counter_%d.db" % dead,
                 "gauge_livesum_%d.db" % os.getpid()):
        (tmp_path / name).write_bytes(b"")
    view.forget_dead_processes(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == sorted(["counter_%d.db" % dead,
                                                   "gauge_livesum_%d.db" % os.getpid()])


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_daphne_counts_frames_in_open_sockets_and_pauses():
    clock = Clock()
    layer = limited(clock, Timers(clock), rate=10, burst=2)
    before = (sample("channels_daphne_frames_in_total"), sample("channels_daphne_open_sockets"),
              sample("channels_daphne_sockets_paused_total"),
              sample("channels_daphne_handshakes_total", result="forwarded", code=""))
    reply = open_socket(layer)
    for order in range(1, 5):
        frame(layer, reply, order)
    after = (sample("channels_daphne_frames_in_total"), sample("channels_daphne_open_sockets"),
             sample("channels_daphne_sockets_paused_total"),
             sample("channels_daphne_handshakes_total", result="forwarded", code=""))
    assert [a - b for a, b in zip(after, before)] == [2, 1, 1, 1]  # two within the burst
    layer.forget(layer.sockets[reply])
    assert sample("channels_daphne_open_sockets") == before[1]


def test_a_refused_handshake_is_counted_with_its_close_code():
    clock = Clock()
    layer = limited(clock, Timers(clock), max_per_client=1)
    before = sample("channels_daphne_handshakes_total", result="refused", code="4502")
    open_socket(layer, "daphne.response.x!a")
    open_socket(layer, "daphne.response.x!b")
    assert sample("channels_daphne_handshakes_total", result="refused", code="4502") == before + 1


class UnreachableLayer(StatsLayer):
    def channel_statistics(self, channel):
        raise redis.exceptions.ConnectionError("Redis is away")


def test_the_layer_families_are_left_out_while_redis_does_not_answer():
    assert collected(UnreachableLayer({}), ["websocket.receive"]) == {}
