"""The settings a running split was started with, for commands run beside it.

``./run`` picks the Redis URL (and maybe a database path) at start-up. A
command typed later in another shell (``manage.py setvalue``, ``push``,
``shell``) has to use the same ones, or it sends into a layer nobody reads.
The supervisor writes them to a small ``NAME=value`` file with its own PID,
and the settings module reads that file back while that PID is alive: a file
left by a supervisor that was killed outright is ignored, not trusted.
"""
import os

PID_KEY = "RUN_PID"


def write(path, values):
    """Write ``values`` and this process's PID to ``path`` (0600: it is local state)."""
    lines = ["# Written by channels_kit.operations.supervise while it runs; removed when it stops.",
             "%s=%d" % (PID_KEY, os.getpid())]
    lines += ["%s=%s" % item for item in sorted(values.items())]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")


def remove(path):
    """Remove ``path`` if this process wrote it (another run may own it by now)."""
    if read(path).get(PID_KEY) == str(os.getpid()):
        os.remove(path)


def read(path):
    """Every ``NAME=value`` line of ``path``; empty when there is no such file."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value for name, value in pairs}


def read_live(path):
    """The values in ``path`` if the process that wrote it is still running, else {}."""
    values = read(path)
    pid = values.pop(PID_KEY, "")
    return values if pid.isdigit() and int(pid) > 0 and running(int(pid)) else {}


def running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, under another user
    return True
