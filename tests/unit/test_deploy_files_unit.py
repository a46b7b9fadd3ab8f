"""deploy/ stays consistent with the code: units start real commands, nginx upgrades WebSockets.

The WSGI split (nginx-channels_example-wsgi.conf, channels-wsgi.service) is
read as nginx would read it: which location a path lands in, and where that
location sends a WebSocket handshake and a plain request.
"""
import configparser
import importlib.util
import os
import re
import shlex
import subprocess

import pytest
from daphne.cli import CommandLineInterface
from gunicorn.config import Config as GunicornConfig

from routing import channel_routing
from tests.support import nginx_conf
from tests.support.paths import ROOT

DEPLOY = os.path.join(ROOT, "deploy")


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(os.path.join(DEPLOY, name))
    return parser


def read(name):
    with open(os.path.join(DEPLOY, name)) as f:
        return f.read()


@pytest.mark.parametrize("name", ["channels-daphne@.service", "channels-worker@.service",
                                  "channels-terminal.service", "channels-wsgi.service"])
def test_units_restart_always_and_read_the_env_file(name):
    service = unit(name)["Service"]
    assert service["Restart"] == "always"
    assert service["EnvironmentFile"] == "/etc/channels_example.env"


def test_daphne_unit_runs_a_command_daphne_accepts():
    argv = shlex.split(unit("channels-daphne@.service")["Service"]["ExecStart"])
    assert argv[0].endswith("/daphne")
    args = CommandLineInterface().parser.parse_args(argv[1:])
    assert args.channel_layer == "asgi:channel_layer"
    assert args.proxy_headers  # per-address limits need the real client address
    assert args.file_descriptor == 3  # the first socket systemd passes


def test_every_daphne_instance_gets_its_own_reuseport_socket_on_the_one_port():
    socket_unit = unit("channels-daphne@.socket")["Socket"]
    assert socket_unit["ReusePort"] == "yes"
    assert socket_unit["Service"] == "channels-daphne@%i.service"
    assert "127.0.0.1:8000" in read("nginx-channels_example.conf")
    assert socket_unit["ListenStream"] == "127.0.0.1:8000"
    assert unit("channels-daphne@.service")["Unit"]["Requires"] == "channels-daphne@%i.socket"


def test_worker_unit_is_a_template_running_our_runworker():
    argv = shlex.split(unit("channels-worker@.service")["Service"]["ExecStart"])
    assert argv[-2:] == ["manage.py", "runworker"]


def test_terminal_unit_runs_the_terminal_service():
    argv = shlex.split(unit("channels-terminal.service")["Service"]["ExecStart"])
    assert argv[-2:] == ["manage.py", "runterminal"]


def env_file():
    return dict(line.split("=", 1) for line in read("channels_example.env").splitlines()
                if line and not line.startswith("#"))


@pytest.mark.parametrize("name", ["nginx-channels_example.conf", "nginx-channels_example-wsgi.conf"])
def test_nginx_site_upgrades_websockets_and_serves_static_root(name):
    site = read(name)
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    assert "proxy_set_header Connection $connection_upgrade;" in site
    assert "proxy_http_version 1.1;" in site
    assert "alias %s/;" % env_file()["STATIC_ROOT"] in site


# --- the WSGI split ------------------------------------------------------------

def wsgi_argv():
    return shlex.split(unit("channels-wsgi.service")["Service"]["ExecStart"])


def test_wsgi_unit_runs_gunicorn_on_the_sites_wsgi_application_on_loopback():
    argv = wsgi_argv()
    assert argv[0] == "/srv/channels_example/.venv/bin/gunicorn"
    args = GunicornConfig().parser().parse_args(argv[1:])
    assert args.args == ["channels_example.wsgi:application"]
    assert importlib.util.find_spec("channels_example.wsgi") is not None
    assert args.bind == ["127.0.0.1:8001"]  # only nginx reaches it: X-Forwarded-For is trusted


def split_site():
    return nginx_conf.parse(read("nginx-channels_example-wsgi.conf"))


def upstream_servers(site, name):
    return [d.args[0] for d in nginx_conf.one(site, "upstream", name).block if d.name == "server"]


def tls_server(site):
    return next(d.block for d in nginx_conf.find(site, "server")
                if nginx_conf.find(d.block, "listen", "443"))


def location_for(server, path):
    """The location nginx picks for ``path``: a matching regex wins over the longest prefix."""
    locations = nginx_conf.find(server, "location")
    for location in locations:
        if location.args[0] == "~" and re.search(location.args[1], path):
            return location
    prefixes = [d for d in locations if len(d.args) == 1 and path.startswith(d.args[0])]
    return max(prefixes, key=lambda d: len(d.args[0]))


def upstreams_of(site, location):
    """``(for a WebSocket handshake, for plain HTTP)``: the upstreams ``location`` proxies to."""
    target = nginx_conf.one(location.block, "proxy_pass").args[0]
    assert target.startswith("http://")
    name = target[len("http://"):]
    if not name.startswith("$"):
        return name, name
    choices = nginx_conf.one(site, "map", "$http_upgrade", name).block
    default = nginx_conf.one(choices, "default").args[0]
    handshake = next(d.args[0] for d in choices if map_regex_matches(d.name, "WebSocket"))
    return handshake, default


def map_regex_matches(key, value):
    """Whether a map's ``key`` is a regex (``~``, ``~*`` without case) that matches ``value``."""
    if not key.startswith("~"):
        return False
    if key.startswith("~*"):
        return re.search(key[2:], value, re.I) is not None
    return re.search(key[1:], value) is not None


def websocket_paths():
    """A path each of routing.py's WebSocket routes accepts ("lobby" for every path parameter)."""
    for route in channel_routing:
        pattern = getattr(route, "prefixes", {}).get("path")
        if pattern is not None:
            yield re.sub(r"\(\?P<\w+>[^)]*\)", "lobby", pattern.pattern).strip("^$")


def test_the_upstreams_are_the_daphne_socket_and_the_wsgi_unit():
    site = split_site()
    daphnes = unit("channels-daphne@.socket")["Socket"]["ListenStream"]
    assert upstream_servers(site, "channels_daphne") == [daphnes]
    bind = GunicornConfig().parser().parse_args(wsgi_argv()[1:]).bind
    assert upstream_servers(site, "channels_wsgi") == bind


@pytest.mark.parametrize("path", sorted(set(websocket_paths())))
def test_a_handshake_on_every_websocket_route_goes_to_daphne_and_plain_http_there_to_wsgi(path):
    site = split_site()
    location = location_for(tls_server(site), path)
    assert upstreams_of(site, location) == ("channels_daphne", "channels_wsgi"), path
    assert nginx_conf.one(location.block, "proxy_set_header", "Upgrade").args[1] == "$http_upgrade"


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/push/", "/health/", "/admin/",
                                  "/api-token-auth/", "/echo/test/", "/console/",
                                  "/terminal/recordings/lobby/", "/nowhere/"])
def test_every_other_request_goes_only_to_wsgi(path):
    site = split_site()
    location = location_for(tls_server(site), path)
    assert upstreams_of(site, location) == ("channels_wsgi", "channels_wsgi"), path


def test_static_files_come_from_disk_in_the_split_too():
    location = location_for(tls_server(split_site()), "/static/channels_example/site.css")
    assert nginx_conf.one(location.block, "alias").args == [env_file()["STATIC_ROOT"] + "/"]
    assert not nginx_conf.find(location.block, "proxy_pass")


def test_env_file_sets_only_what_settings_read():
    with open(os.path.join(ROOT, "channels_example", "settings.py")) as f:
        settings_source = f.read()
    for line in read("channels_example.env").splitlines():
        if line and not line.startswith("#"):
            name = line.split("=", 1)[0]
            assert name == "DJANGO_SETTINGS_MODULE" or '"%s"' % name in settings_source, name


def test_daphne_unit_waits_out_a_drain_and_reload_drains_too():
    from channels_kit.daphne.limits import Limits
    service = unit("channels-daphne@.service")["Service"]
    assert float(service["TimeoutStopSec"]) > Limits.drain_seconds
    assert shlex.split(service["ExecReload"]) == ["/bin/kill", "-HUP", "$MAINPID"]


FAKE_COMMANDS = {
    # Two active instances; every call is written to the log, in order.
    "systemctl": 'echo "systemctl $*" >> "$LOG"; if [ "$1" = list-units ]; then '
                 'echo "channels-daphne@1.service loaded active running d1"; '
                 'echo "channels-daphne@2.service loaded active running d2"; fi',
    # The new daphne says it listens on the second look only.
    "journalctl": 'echo "journalctl $*" >> "$LOG"; n=$(grep -c "^journalctl" "$LOG"); '
                  'if [ $((n % 2)) = 0 ]; then echo "Listening on endpoint fd:fileno=3"; fi',
    "curl": 'echo "curl $*" >> "$LOG"',
    "sleep": 'echo sleep >> "$LOG"',
}


def test_restart_daphnes_restarts_one_instance_at_a_time_each_once_the_last_serves(tmp_path):
    for name, body in FAKE_COMMANDS.items():
        path = tmp_path / name
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
    log = tmp_path / "calls"
    done = subprocess.run([os.path.join(DEPLOY, "restart-daphnes")], capture_output=True, text=True,
                          env=dict(os.environ, PATH="%s:%s" % (tmp_path, os.environ["PATH"]),
                                   LOG=str(log)), timeout=60)
    assert done.returncode == 0, done.stderr
    calls = [line.split()[0] + (" " + line.split()[1] if line.startswith("systemctl") else "")
             for line in log.read_text().splitlines()]
    assert calls == ["systemctl list-units",
                     "systemctl restart", "journalctl", "sleep", "journalctl", "curl",
                     "systemctl restart", "journalctl", "sleep", "journalctl", "curl"]
    restarts = [line.split()[-1] for line in log.read_text().splitlines() if " restart " in line]
    assert restarts == ["channels-daphne@1.service", "channels-daphne@2.service"]
    assert done.stdout.strip().splitlines()[-1] == "restart-daphnes: done"
