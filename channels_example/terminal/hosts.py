"""The hosts a terminal may open: only those in ``TERMINAL_HOSTS_FILE``.

A host typed into the browser is never used; the socket names an alias and
this file says where it leads. Otherwise the terminal would be an SSH proxy
for anyone with a staff login, into any network the server can reach.

The file is read on every open, so adding a host needs no restart::

    [hosts.web1]
    host = "10.0.0.5"
    port = 22
    username = "deploy"
    key_file = "/etc/channels_example/id_ed25519"   # or password_env = "TERMINAL_PASSWORD_WEB1"
    known_hosts = "/etc/channels_example/known_hosts"

``password_env`` must name a variable starting with ``TERMINAL_PASSWORD_``
(settings.py collects those), so a hosts file cannot hand out any other
secret of the process's environment as an SSH password.
"""
import re
import tomllib
from dataclasses import dataclass

from django.conf import settings

ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Names the terminal's own pages use under /terminal/.
RESERVED = {"recordings"}


class HostsError(Exception):
    """The hosts file is unreadable or wrong; the message says where."""


@dataclass(frozen=True)
class Host:
    alias: str
    host: str
    port: int
    username: str
    known_hosts: str
    key_file: str = None
    password: str = None


def load_hosts(path=None):
    """{alias: Host} from the TOML file; {} when no file is configured."""
    path = path or settings.TERMINAL_HOSTS_FILE
    if not path:
        return {}
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise HostsError("%s: %s" % (path, error))
    table = data.get("hosts", {})
    if not isinstance(table, dict):
        raise HostsError("%s: [hosts] must be a table of aliases" % path)
    return {alias: host_from(alias, entry, path) for alias, entry in table.items()}


def host_from(alias, entry, path):
    where = "%s: [hosts.%s]" % (path, alias)
    if not ALIAS.match(alias) or alias in RESERVED:
        raise HostsError("%s: an alias is 1-64 of A-Z a-z 0-9 _ - and not %s"
                         % (where, ", ".join(sorted(RESERVED))))
    if not isinstance(entry, dict):
        raise HostsError("%s must be a table" % where)
    for key in ("host", "username", "known_hosts"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise HostsError("%s needs %s (a string)" % (where, key))
    port = entry.get("port", 22)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise HostsError("%s: port must be 1-65535" % where)
    return Host(alias=alias, host=entry["host"], port=port, username=entry["username"],
                known_hosts=entry["known_hosts"], key_file=entry.get("key_file"),
                password=password_of(entry, where))


def password_of(entry, where):
    name = entry.get("password_env")
    if name is None:
        if not entry.get("key_file"):
            raise HostsError("%s needs key_file or password_env" % where)
        return None
    if not str(name).startswith("TERMINAL_PASSWORD_"):
        raise HostsError("%s: password_env must start with TERMINAL_PASSWORD_" % where)
    if name not in settings.TERMINAL_PASSWORDS:
        raise HostsError("%s: the variable %s is not set" % (where, name))
    return settings.TERMINAL_PASSWORDS[name]
