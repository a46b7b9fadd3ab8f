"""``./run terminal-demo``: the terminal tried on this machine, with nothing to set up first.

``python -m channels_example.terminal.demo DIRECTORY`` makes, in an empty
DIRECTORY: a host key and a login key made for this run alone, an
``sshd_config`` for an sshd that listens on 127.0.0.1 only and lets in the
current user with that key alone, the known_hosts line that pins its host
key, a hosts file naming it ``this-machine``, and a copy of the Procfile
with one more line, ``sshd``, that ``./run`` hands to the supervisor, so the
sshd starts and stops with the split. Without OpenSSH's ``sshd`` it prints
one line saying how to install it and exits 1.
"""
import getpass
import os
import shlex
import shutil
import socket
import subprocess
import sys

ALIAS = "this-machine"
INSTALL = ("./run terminal-demo needs OpenSSH's sshd and ssh-keygen: "
           "sudo apt-get install openssh-server (macOS has both built in)")

SSHD_CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {directory}/host_ed25519
PidFile {directory}/sshd.pid
AuthorizedKeysFile {directory}/authorized_keys
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PrintMotd no
"""

HOSTS = """\
# Written by ./run terminal-demo for this run only: an sshd on 127.0.0.1
# as {user}, with a key made for this run (docs/terminal.md).
[hosts.{alias}]
host = "127.0.0.1"
port = {port}
username = "{user}"
key_file = "{directory}/login_ed25519"
known_hosts = "{directory}/known_hosts"
"""


def find_sshd():
    """The sshd binary (often outside a non-root PATH), or None."""
    return shutil.which("sshd") or next(
        (path for path in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.access(path, os.X_OK)),
        None)


def free_loopback_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keygen(path):
    """A new passphrase-less ed25519 key pair at path and path.pub; returns the public line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "terminal-demo",
                    "-f", path], check=True, stdin=subprocess.DEVNULL)
    with open(path + ".pub") as f:
        return f.read().strip()


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def prepare(directory, procfile="Procfile"):
    """Make the keys, the sshd's configuration, the hosts file and the Procfile in ``directory``.

    Whatever an earlier run left there is removed first: every run has
    keys of its own.
    """
    sshd = find_sshd()
    if not sshd or not shutil.which("ssh-keygen"):
        raise SystemExit(INSTALL)
    directory = os.path.abspath(directory)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, mode=0o700)
    user, port = getpass.getuser(), free_loopback_port()
    host_key = keygen(os.path.join(directory, "host_ed25519"))
    write(os.path.join(directory, "authorized_keys"),
          keygen(os.path.join(directory, "login_ed25519")) + "\n")
    write(os.path.join(directory, "known_hosts"),
          "[127.0.0.1]:%d %s\n" % (port, " ".join(host_key.split()[:2])))
    write(os.path.join(directory, "sshd_config"),
          SSHD_CONFIG.format(port=port, directory=directory, user=user))
    write(os.path.join(directory, "hosts.toml"),
          HOSTS.format(alias=ALIAS, port=port, directory=directory, user=user))
    if os.geteuid() == 0:  # OpenSSH run as root insists on its privilege-separation directory
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    with open(procfile) as f:
        lines = f.read().rstrip("\n")
    command = shlex.join([sshd, "-D", "-e", "-f", os.path.join(directory, "sshd_config")])
    write(os.path.join(directory, "Procfile"), "%s\nsshd: %s\n" % (lines, command))
    return port


def main(argv=None):
    directory = (argv or sys.argv[1:] or [None])[0]
    if not directory:
        raise SystemExit("usage: python -m channels_example.terminal.demo DIRECTORY")
    prepare(directory)
    print("terminal-demo: an sshd on 127.0.0.1 as %s, key made for this run; log in as a staff "
          "user (python manage.py createsuperuser) and open /terminal/%s/"
          % (getpass.getuser(), ALIAS))


if __name__ == "__main__":
    main()
