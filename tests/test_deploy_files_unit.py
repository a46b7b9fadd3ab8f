"""deploy/ stays consistent with the code: units start real commands, nginx upgrades WebSockets."""
import configparser
import os
import shlex

import pytest
from daphne.cli import CommandLineInterface

from tests.paths import ROOT

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
                                  "channels-terminal.service"])
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


def test_nginx_site_upgrades_websockets_and_serves_static_root():
    site = read("nginx-channels_example.conf")
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    assert "proxy_set_header Connection $connection_upgrade;" in site
    assert "proxy_http_version 1.1;" in site
    env = dict(line.split("=", 1) for line in read("channels_example.env").splitlines()
               if line and not line.startswith("#"))
    assert "alias %s/;" % env["STATIC_ROOT"] in site


def test_env_file_sets_only_what_settings_read():
    with open(os.path.join(ROOT, "channels_example", "settings.py")) as f:
        settings_source = f.read()
    for line in read("channels_example.env").splitlines():
        if line and not line.startswith("#"):
            name = line.split("=", 1)[0]
            assert name == "DJANGO_SETTINGS_MODULE" or '"%s"' % name in settings_source, name
