"""Opening an SSH shell with paramiko, every failure turned into the error the browser is told.

Host keys are checked against the host's configured ``known_hosts`` only, with
paramiko's RejectPolicy: a host that is not listed, or whose key changed, is
refused (4604). Nothing is ever added to a known_hosts file from here;
trusting a new host is a deliberate act (``ssh-keyscan`` and a look at the
fingerprint) by whoever edits the hosts file.
"""
import os

import paramiko
from django.conf import settings

from channels_kit.client_errors import ClientError


class UnknownHostKey(paramiko.SSHException):
    """The server's key is not in known_hosts (raised instead of RejectPolicy's plain SSHException)."""


class RefuseUnknownHosts(paramiko.RejectPolicy):
    def missing_host_key(self, client, hostname, key):
        raise UnknownHostKey(hostname, key.get_name())


def open_shell(host, cols, rows):
    """(client, channel): a logged-in shell on a pty of cols x rows, keepalive on."""
    client = connect(host)
    try:
        transport = client.get_transport()
        transport.set_keepalive(settings.TERMINAL_KEEPALIVE_SECONDS)
        channel = transport.open_session(timeout=settings.TERMINAL_CONNECT_SECONDS)
        channel.get_pty(term="xterm-256color", width=cols, height=rows)
        channel.invoke_shell()
    except (OSError, EOFError, paramiko.SSHException) as error:
        client.close()
        raise ClientError("ssh-unreachable", "%s: no shell (%s)" % (host.alias, error))
    return client, channel


def connect(host):
    client = paramiko.SSHClient()
    if os.path.isfile(host.known_hosts):
        client.load_host_keys(host.known_hosts)
    client.set_missing_host_key_policy(RefuseUnknownHosts())
    if host.key_file and not os.access(host.key_file, os.R_OK):
        raise ClientError("ssh-auth-failed", "%s: the key file cannot be read" % host.alias)
    timeout = settings.TERMINAL_CONNECT_SECONDS
    try:
        client.connect(host.host, port=host.port, username=host.username,
                       key_filename=host.key_file, password=host.password,
                       look_for_keys=False, allow_agent=False,
                       timeout=timeout, banner_timeout=timeout, auth_timeout=timeout)
    except UnknownHostKey:
        client.close()
        raise ClientError("ssh-host-key", "%s: the server's host key is not in known_hosts; "
                          "refusing to connect" % host.alias)
    except paramiko.BadHostKeyException:
        client.close()
        raise ClientError("ssh-host-key", "%s: the server's host key CHANGED since it was put in "
                          "known_hosts; refusing to connect" % host.alias)
    except paramiko.AuthenticationException:
        client.close()
        raise ClientError("ssh-auth-failed", "%s: the server refused the login of %s"
                          % (host.alias, host.username))
    except (OSError, EOFError, paramiko.SSHException) as error:
        client.close()
        raise ClientError("ssh-unreachable", "%s: cannot reach %s:%s (%s)"
                          % (host.alias, host.host, host.port, error or type(error).__name__))
    return client
