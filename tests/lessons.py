"""The classroom split the lessons' e2e tests share: two workers, ``LESSONS=1``."""
import contextlib

import websocket

from tests.splits import running_split


@contextlib.contextmanager
def lessons_split(tmp_path_factory, name):
    with running_split(name, tmp_path_factory.mktemp(name), env={"LESSONS": "1"}) as split:
        yield split


@contextlib.contextmanager
def sockets(split):
    """``open(path)`` for WebSockets to ``split``, each closed afterwards."""
    opened = []

    def open_socket(path, **kwargs):
        sock = websocket.create_connection(split.ws_url + path, timeout=10,
                                           origin=split.url, **kwargs)
        opened.append(sock)
        return sock

    try:
        yield open_socket
    finally:
        for sock in opened:
            sock.close()
