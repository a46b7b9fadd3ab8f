"""``GET /metrics`` through a real split: counters from every process, who may read them, and a
real Prometheus server scraping it with deploy/'s alert rules."""
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import websocket
from prometheus_client.parser import text_string_to_metric_families

from channels_kit.testing.split import free_port, wait_for
from tests.conftest import require_tool
from tests.support.paths import ROOT
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


def echo(split, times):
    sock = websocket.create_connection(split.ws_url + "/echo/", origin=split.url, timeout=10)
    try:
        for n in range(times):
            sock.send("echo %d" % n)
            assert sock.recv() == "echo %d" % n
        assert value(samples(split), "channels_daphne_open_sockets") == 1
    finally:
        sock.close()


def test_echoes_move_the_daphne_and_worker_counters_by_their_number(own_split):
    before = echo_counts(own_split)
    echo(own_split, ECHOES)
    assert counts_become(own_split, tuple(count + ECHOES for count in before)) == tuple(
        count + ECHOES for count in before)


def test_the_layer_reports_the_workers_queues(own_split):
    found = samples(own_split)
    assert ("channels_layer_queue_depth", (("channel", "websocket.receive"),)) in found
    assert ("channels_layer_oldest_message_seconds", (("channel", "websocket.receive"),)) in found


def test_both_workers_are_seen_beating(own_split):
    beating = poll(lambda: value(samples(own_split), "channels_worker_beating"),
                   lambda found: found == len(own_split.workers), within=30)
    assert beating == len(own_split.workers) == 2


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


@pytest.fixture
def prometheus(own_split, tmp_path):
    """Debian's Prometheus on a free port, scraping the split every second, with deploy/alerts.yml."""
    binary = require_tool("prometheus", shutil.which("prometheus"),
                          "apt-get install prometheus (./run-tests does)")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(json.dumps({  # JSON is YAML
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [os.path.join(ROOT, "deploy", "alerts.yml")],
        "scrape_configs": [{"job_name": "channels_example", "metrics_path": "/metrics",
                            "static_configs": [{"targets": ["127.0.0.1:%d" % own_split.port]}]}],
    }))
    with open(tmp_path / "prometheus.log", "wb") as log:
        server = subprocess.Popen([binary, "--config.file=%s" % config,
                                   "--storage.tsdb.path=%s" % (tmp_path / "data"),
                                   "--web.listen-address=127.0.0.1:%d" % port],
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = "http://127.0.0.1:%d" % port
        wait_for(lambda: ready(url) or server.poll() is not None, 60, "prometheus to be ready")
        assert server.poll() is None, (tmp_path / "prometheus.log").read_text()
        yield url
    finally:
        server.terminate()
        server.wait(30)


def ready(url):
    """Prometheus answers 503 until it has loaded its storage and rules."""
    try:
        with urllib.request.urlopen(url + "/-/ready", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def api(prometheus, path, **params):
    url = prometheus + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())["data"]


def scraped_frames_in(prometheus):
    result = api(prometheus, "/api/v1/query", query="channels_daphne_frames_in_total")["result"]
    return float(result[0]["value"][1]) if result else None


def poll(function, predicate, within=60):
    deadline = time.monotonic() + within
    while True:
        answer = function()
        if predicate(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def test_a_real_prometheus_scrapes_the_split_and_sees_the_echoes(own_split, prometheus):
    targets = poll(lambda: api(prometheus, "/api/v1/targets")["activeTargets"],
                   lambda found: found and all(t["health"] == "up" for t in found))
    assert [t["health"] for t in targets] == ["up"], targets
    groups = api(prometheus, "/api/v1/rules")["groups"]
    assert "ChannelsWebsocketReceiveBacklog" in {rule["name"] for g in groups for rule in g["rules"]}
    before = poll(lambda: scraped_frames_in(prometheus), lambda found: found is not None)
    assert before is not None
    echo(own_split, ECHOES)
    assert poll(lambda: scraped_frames_in(prometheus), lambda found: found == before + ECHOES) \
        == before + ECHOES
