"""./run terminal-demo's preparation: what it writes, and the one line without sshd."""
import os
import shutil

import pytest

from channels_example.terminal import demo
from channels_example.terminal.hosts import load_hosts
from tests.conftest import require_tool
from tests.support.paths import ROOT


@pytest.fixture
def prepared(tmp_path):
    require_tool("sshd", demo.find_sshd(), "apt-get install openssh-server (./run-tests does)")
    require_tool("ssh-keygen", shutil.which("ssh-keygen"), "apt-get install openssh-client")
    directory = str(tmp_path / "demo")
    port = demo.prepare(directory, procfile=os.path.join(ROOT, "Procfile"))
    return directory, port


def read(directory, name):
    with open(os.path.join(directory, name)) as f:
        return f.read()


def test_the_hosts_file_names_this_machine_with_the_key_made_for_this_run(prepared):
    directory, port = prepared
    host = load_hosts(os.path.join(directory, "hosts.toml"))[demo.ALIAS]
    assert (host.host, host.port, host.key_file) == (
        "127.0.0.1", port, os.path.join(directory, "login_ed25519"))
    login_public = read(directory, "login_ed25519.pub").split()[:2]
    assert read(directory, "authorized_keys").split()[:2] == login_public
    host_public = read(directory, "host_ed25519.pub").split()[:2]
    assert read(directory, "known_hosts").split() == ["[127.0.0.1]:%d" % port] + host_public
    assert host.known_hosts == os.path.join(directory, "known_hosts")


def test_the_sshd_listens_on_loopback_alone_and_takes_that_key_alone(prepared):
    directory, port = prepared
    config = read(directory, "sshd_config").splitlines()
    assert "ListenAddress 127.0.0.1" in config and "Port %d" % port in config
    assert [line for line in config if line.startswith("ListenAddress")] == ["ListenAddress 127.0.0.1"]
    assert "PasswordAuthentication no" in config and "KbdInteractiveAuthentication no" in config
    assert oct(os.stat(directory).st_mode & 0o777) == "0o700"


def test_the_procfile_copy_adds_the_sshd_to_the_split(prepared):
    directory, _ = prepared
    with open(os.path.join(ROOT, "Procfile")) as f:
        original = f.read().splitlines()
    copy = read(directory, "Procfile").splitlines()
    assert copy[:-1] == original
    assert copy[-1].startswith("sshd: ") and "-f %s" % os.path.join(directory, "sshd_config") in copy[-1]


def test_a_second_run_has_keys_of_its_own(prepared):
    directory, _ = prepared
    first = read(directory, "login_ed25519.pub")
    demo.prepare(directory, procfile=os.path.join(ROOT, "Procfile"))
    assert read(directory, "login_ed25519.pub") != first


def test_without_sshd_one_line_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "find_sshd", lambda: None)
    with pytest.raises(SystemExit) as stopped:
        demo.prepare(str(tmp_path / "demo"))
    assert str(stopped.value) == demo.INSTALL and "apt-get install openssh-server" in demo.INSTALL
    assert not (tmp_path / "demo").exists()
