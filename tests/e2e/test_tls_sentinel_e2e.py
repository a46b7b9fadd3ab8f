"""The whole split through TLS Sentinels to a TLS master as an ACL user, then a failover.

Debian's redis-server plays a master and a replica that speak TLS only and
know the split's ACL user, and three Sentinels that speak TLS only and have
a user of their own (tests/support/tls_sentinels.py). Daphne (Twisted), two
workers, the terminal service, channel sessions, the inspector, health and
layerstats find the master through REDIS_SENTINELS (rediss:// URLs) and log
in to it with REDIS_SENTINEL_MASTER_URL. No password shows anywhere, and a
wrong one, the master's or the Sentinels', is a 503 and a line in daphne's
and each worker's log saying which; set right on the servers, the split
serves without a restart. Last,
the master is SIGKILLed: the Sentinels promote the replica, and frames sent
meanwhile reach the room in order.
"""
import json
import signal
import time
import uuid

import pytest
import websocket

from channels_kit.testing.split import wait_for
from tests.conftest import require_tool
from tests.support.splits import all_logs, broken_split, health, running_split
from tests.support.sshd import TemporarySSHD, find_sshd
from tests.support.terminal import Terminal, create_user, write, write_hosts
from tests.support.tls_redis import ADMIN_PASSWORD, PASSWORD, USER
from tests.support.tls_sentinels import SERVICE, WATCHER, WATCHER_PASSWORD, TlsSentinelGroup
from tests.support.wire import recv_json, say

SECRETS = (PASSWORD, ADMIN_PASSWORD, WATCHER_PASSWORD)


@pytest.fixture(scope="module")
def group(tmp_path_factory):
    servers = TlsSentinelGroup(tmp_path_factory.mktemp("tls-sentinels"))
    try:
        yield servers.start()
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A hosts file naming one sshd, ``lab``, for the terminal service."""
    require_tool("sshd", find_sshd(), "apt-get install openssh-server (./run-tests does)")
    root = tmp_path_factory.mktemp("tls-sentinel-sshd")
    sshd = TemporarySSHD(root / "sshd", str(root / "sshd.log")).start()
    try:
        hosts = str(root / "hosts.toml")
        write_hosts(hosts, [{"alias": "lab", "port": sshd.port, "key": sshd.client_key,
                             "known_hosts": write(root / "known_hosts", sshd.known_hosts_line())}])
        yield hosts
    finally:
        sshd.stop()


@pytest.fixture(scope="module")
def tls_split(group, lab, tmp_path_factory):
    env = {"REDIS_SENTINELS": group.sentinel_urls(), "REDIS_SENTINEL_SERVICE": SERVICE,
           "REDIS_SENTINEL_MASTER_URL": group.master_url(), "TERMINAL_HOSTS_FILE": lab}
    with running_split("tls-sentinel", tmp_path_factory.mktemp("tls-sentinel"),
                       env=env) as running:
        yield running


@pytest.fixture(scope="module")
def staff(tls_split):
    return create_user(tls_split, "staff_%s" % uuid.uuid4().hex[:6])


def connect(split, path, **kwargs):
    return websocket.create_connection(split.ws_url + path, origin=split.url, timeout=10, **kwargs)


def test_echo_through_the_tls_sentinels(tls_split):
    sock = connect(tls_split, "/echo/")
    sock.send("via TLS Sentinels")
    assert sock.recv() == "via TLS Sentinels"
    sock.close()
    # daphne read the reply on the layer's Twisted connection, found through the Sentinels
    assert "Using native Twisted mode" in tls_split.web.log()


def test_a_room_hears_each_member_in_order(tls_split):
    alice, bob = connect(tls_split, "/chat/tls-s/"), connect(tls_split, "/chat/tls-s/")
    for n in range(20):
        say(alice, "line %d" % n)
    assert [recv_json(bob)["text"] for _ in range(20)] == ["line %d" % n for n in range(20)]
    alice.close()
    bob.close()


def test_channel_sessions_live_on_the_master(tls_split, group):
    sock = connect(tls_split, "/chat/tls-kept/")
    say(sock, "kept")  # the room it answers in was read back from the socket's channel session
    assert recv_json(sock)["text"] == "kept"
    assert group.admin(group.master_port).keys("channel-session:*"), "no channel session there"
    sock.close()


def test_a_staff_terminal_reaches_a_shell(tls_split, staff):
    term = Terminal(tls_split, staff.cookie_header)
    assert term.status()["status"] == "connected"
    term.type("echo $((6*7))\n")
    term.wait_for(b"42\r\n")
    term.finish()


def test_the_inspector_shows_events_of_daphne_and_the_workers(tls_split, staff):
    sock = connect(tls_split, "/inspector/", cookie=staff.cookie_header)
    first = recv_json(sock)
    assert (first["role"], first["op"]) == ("inspector", "attached"), first
    roles, deadline = set(), time.monotonic() + 60
    sock.settimeout(0.3)
    while not {"daphne", "worker"} <= roles:
        assert time.monotonic() < deadline, "the inspector showed only %s" % sorted(roles)
        probe = connect(tls_split, "/echo/")
        probe.send("seen")
        assert probe.recv() == "seen"
        probe.close()
        try:
            while True:
                roles.add(json.loads(sock.recv())["role"])
        except websocket.WebSocketTimeoutException:
            pass
    sock.close()


def test_health_and_layerstats_answer_without_a_password(tls_split):
    assert health(tls_split) == (200, {"redis": "ok", "db": "ok"})
    shown = tls_split.manage("layerstats").stdout
    assert "sentinel=rediss://watcher:***@127.0.0.1" in shown
    assert "master=rediss://chan:***@/0" in shown
    assert not [secret for secret in SECRETS if secret in shown + all_logs(tls_split)]


def says_why(split, daphne_line, worker_line, wrong):
    """Daphne and each worker log why, /health/ names Redis, and no password shows."""
    wait_for(lambda: daphne_line in split.web.log(), 30, "daphne to log %s" % daphne_line)
    for worker in split.workers:
        wait_for(lambda: worker_line in worker.log(), 30, "%s to log %s" % (worker.name, worker_line))
    status, body = health(split)
    assert status == 503 and body["redis"].startswith("error: ")
    shown = all_logs(split) + json.dumps(body)
    assert not [secret for secret in SECRETS + (wrong,) if secret in shown]


def test_a_wrong_master_password_is_a_503_and_a_log_line(group, tmp_path):
    wrong = "a-wrong-master-guess-31fe"
    env = {"REDIS_SENTINELS": group.sentinel_urls(), "REDIS_SENTINEL_SERVICE": SERVICE,
           "REDIS_SENTINEL_MASTER_URL": group.master_url(password=wrong)}
    with broken_split("tls-sentinel-wrong-master", env, tmp_path) as split:
        says_why(split, "Redis at the master of %s refused daphne's connection: " % SERVICE
                 + "Redis error: could not auth: WRONGPASS", "refused the login of user 'chan'",
                 wrong)


def test_a_wrong_sentinel_password_is_a_503_and_a_log_line(group, tmp_path):
    wrong = "a-wrong-sentinel-guess-8d07"
    env = {"REDIS_SENTINELS": group.sentinel_urls(password=wrong), "REDIS_SENTINEL_SERVICE": SERVICE,
           "REDIS_SENTINEL_MASTER_URL": group.master_url()}
    with broken_split("tls-sentinel-wrong-sentinel", env, tmp_path) as split:
        says_why(split, "(a Sentinel) refused daphne's connection: Redis error: could not auth: "
                 "WRONGPASS", "refused the login of user 'watcher'", wrong)


def test_the_split_serves_once_the_passwords_it_was_given_become_right(group, tmp_path):
    later = "a-later-password-5e19"
    env = {"REDIS_SENTINELS": group.sentinel_urls(password=later),
           "REDIS_SENTINEL_SERVICE": SERVICE, "REDIS_SENTINEL_MASTER_URL": group.master_url(later)}
    with broken_split("tls-sentinel-fixed", env, tmp_path) as split:
        wait_for(lambda: "(a Sentinel) refused daphne's connection" in split.web.log(), 30,
                 "daphne's refusal")
        # Each user gets the password the split was given, beside its own.
        logins = [(group.admin(group.master_port), USER)] + [
            (group.sentinel(port), WATCHER) for port in group.sentinel_ports]
        for server, user in logins:
            server.execute_command("ACL", "SETUSER", user, ">" + later)
        try:
            wait_for(lambda: health(split)[0] == 200, 60, "a 200 from /health/")
            deadline = time.monotonic() + 30
            while True:  # daphne refuses sockets until its own connections are back
                try:
                    sock = connect(split, "/echo/")
                    break
                except (websocket.WebSocketException, OSError):
                    assert time.monotonic() < deadline, "daphne never took a socket"
                    time.sleep(0.2)
            sock.send("after the fix")
            assert sock.recv() == "after the fix"
            sock.close()
        finally:
            for server, user in logins:
                server.execute_command("ACL", "SETUSER", user, "<" + later)


def replica_caught_up(group):
    """Wait until the replica has applied all the master has written so far."""
    written = group.admin(group.master_port).info("replication")["master_repl_offset"]
    replica = group.admin(group.replica_port)
    wait_for(lambda: replica.info("replication").get("slave_repl_offset", -1) >= written, 30,
             "the replica to catch up")


def test_a_room_works_again_after_the_tls_master_is_killed(tls_split, group):
    alice, bob = connect(tls_split, "/chat/tls-ha/"), connect(tls_split, "/chat/tls-ha/")
    say(alice, "before")
    assert recv_json(bob)["text"] == "before"
    replica_caught_up(group)  # it has the group (replication is asynchronous)

    group.master.signal(signal.SIGKILL)
    for n in range(10):  # held by daphne while there is no master
        say(alice, "during %d" % n)
        time.sleep(0.2)
    bob.settimeout(30)
    assert [recv_json(bob)["text"] for _ in range(10)] == ["during %d" % n for n in range(10)]
    carol = connect(tls_split, "/chat/tls-ha/")
    say(carol, "newcomer")
    assert recv_json(bob)["text"] == "newcomer"
    # Served by the promoted replica: the Sentinels name it as the master.
    asked = group.sentinel(group.sentinel_ports[0])
    wait_for(lambda: int(asked.execute_command("SENTINEL", "get-master-addr-by-name",
                                               SERVICE)[1]) == group.replica_port,
             10, "the Sentinels to name the replica as master")
    for sock in (alice, bob, carol):
        sock.close()
    assert not [secret for secret in SECRETS if secret in all_logs(tls_split)]
