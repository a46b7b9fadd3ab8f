"""A throwaway OpenSSH server for tests and benchmarks of SSH-backed services.

``TemporarySSHD(directory)`` makes its own host key, client key,
authorized_keys and sshd_config under ``directory`` and runs ``sshd -D`` on a
free 127.0.0.1 port as the current user. The machine's own sshd, its keys
and its configuration are never read or touched; the only shared thing is
the privilege-separation directory OpenSSH insists on when run as root
(``/run/sshd``), which is created if missing, as the openssh-server package
would.
"""
import os
import shutil
import subprocess

from channels_kit.testing.split import free_port, port_open, wait_for

CONFIG = """\
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {directory}/sshd.pid
AuthorizedKeysFile {directory}/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
"""


def find_sshd():
    """The sshd binary (often outside a non-root PATH), or None."""
    return shutil.which("sshd") or next(
        (p for p in ("/usr/sbin/sshd", "/usr/local/sbin/sshd") if os.access(p, os.X_OK)), None)


def keygen(path, kind="ed25519"):
    """A new passphrase-less key pair at path / path.pub; returns the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "test", "-f", path],
                   check=True, stdin=subprocess.DEVNULL)
    with open(path + ".pub") as f:
        return f.read().strip()


class TemporarySSHD:

    def __init__(self, directory, log_path=None):
        self.directory = os.path.abspath(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.port = free_port()
        self.log_path = log_path or os.path.join(self.directory, "sshd.log")
        self.host_key = os.path.join(self.directory, "host_ed25519")
        self.host_public = keygen(self.host_key)
        # The key a client logs in with, and the only one authorized.
        self.client_key = os.path.join(self.directory, "client_ed25519")
        with open(os.path.join(self.directory, "authorized_keys"), "w") as f:
            f.write(keygen(self.client_key) + "\n")
        self.config = os.path.join(self.directory, "sshd_config")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(port=self.port, host_key=self.host_key, directory=self.directory))
        self.popen = None

    def known_hosts_line(self, public_key=None):
        """A known_hosts entry for this server (or, given another key, a wrong one)."""
        key_type, key = (public_key or self.host_public).split()[:2]
        return "[127.0.0.1]:%d %s %s\n" % (self.port, key_type, key)

    def start(self, timeout=10):
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        log = open(self.log_path, "ab")
        self.popen = subprocess.Popen([find_sshd(), "-D", "-e", "-f", self.config],
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_for(lambda: port_open(self.port) or self.popen.poll() is not None, timeout, "sshd")
        if self.popen.poll() is not None:
            with open(self.log_path, errors="replace") as f:
                raise RuntimeError("sshd exited:\n" + f.read())
        return self

    def stop(self):
        """Stop sshd and the sessions it forked (its process group), by PID."""
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, 15)
            self.popen.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
