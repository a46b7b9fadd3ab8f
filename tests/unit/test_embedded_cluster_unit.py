"""The local cluster command refuses a layout or ports it cannot use before it starts any server."""
import socket
import subprocess
import sys

import pytest

from channels_kit.operations.embedded_cluster import BUS_OFFSET, node_argv, parse_ports
from channels_kit.operations.embedded_redis import server_binary
from tests.support.cluster import free_cluster_ports
from tests.support.paths import ROOT


def run(*arguments):
    return subprocess.run([sys.executable, "-m", "channels_kit.operations.embedded_cluster",
                           *arguments], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_ports_are_a_range_or_a_list():
    assert parse_ports("7000-7005") == [7000, 7001, 7002, 7003, 7004, 7005]
    assert parse_ports("7000,7002, 7004-7005") == [7000, 7002, 7004, 7005]


@pytest.mark.parametrize("text", ["", "7000,7000", "60000-60005", "seven"])
def test_ports_that_cannot_serve_are_refused(text):
    with pytest.raises(ValueError):
        parse_ports(text)


def test_help_is_answered_and_starts_no_server():
    answer = run("--help")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.startswith("usage: python -m channels_kit.operations.embedded_cluster")
    assert "REDIS_CLUSTER" in answer.stdout


@pytest.mark.parametrize("arguments, reason", [
    (["--ports", "7000-7004", "--replicas", "1"],
     "5 ports cannot be split into masters with 1 replicas each"),
    (["--ports", "60000-60005"], "distinct ports below 55536"),
])
def test_a_layout_it_cannot_make_is_refused_in_one_line(arguments, reason):
    answer = run(*arguments)
    assert answer.returncode == 2
    assert reason in answer.stderr and "Traceback" not in answer.stderr


def test_address_checks_the_ports_and_starts_nothing():
    ports = free_cluster_ports(2)
    assert run("--ports", "%d-%d" % (ports[0], ports[1]), "--replicas", "1",
               "--address").stdout == "127.0.0.1:%d,127.0.0.1:%d\n" % tuple(ports)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", ports[1] + BUS_OFFSET))
        holder.listen()
        answer = run("--ports", "%d-%d" % (ports[0], ports[1]), "--replicas", "1", "--address")
    assert answer.returncode == 1 and answer.stdout == ""
    assert answer.stderr == ("embedded_cluster: port %d or its cluster bus port %d on 127.0.0.1 is "
                             "already in use; pick other ports\n" % (ports[1], ports[1] + BUS_OFFSET))


def test_a_node_can_be_another_server_with_arguments_of_its_own(tmp_path):
    def tls_only(port):
        return ["--port", "0", "--tls-port", str(port)]
    argv = node_argv(7000, str(tmp_path), 1000, binary="/usr/bin/redis-server", extra_args=tls_only)
    assert argv[0] == "/usr/bin/redis-server"
    assert argv[argv.index("--cluster-enabled") + 1] == "yes"
    # Last, so they win over the plain port the embedded server's arguments give.
    assert argv[-4:] == ["--port", "0", "--tls-port", "7000"]
    assert node_argv(7000, str(tmp_path), 1000)[0] == server_binary()
