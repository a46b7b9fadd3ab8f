"""Start daphne on a listening socket of its own with SO_REUSEPORT, so N daphnes share one port.

Daphne is one single-threaded process; a host's other cores serve sockets
only through more daphnes. With SO_REUSEPORT each daphne has its own
listening socket on the same address and port, and the kernel spreads new
connections across them, so nothing in front (nginx, the clients) needs to
know how many there are. Daphne 1.4 cannot set the option itself, but it
adopts a socket that is already listening (``--fd``, through the ``fd:``
endpoint plugin it ships), so this wrapper binds, listens and then replaces
itself with daphne:

    python -m channels_kit.operations.reuseport daphne -b 127.0.0.1 -p 8000 asgi:channel_layer

runs ``daphne --fd 3 asgi:channel_layer`` on such a socket. Connections that
arrive before daphne's reactor runs wait in the socket's backlog.
"""
import os
import socket
import sys

# Connections the kernel queues per socket before daphne accepts them; the
# kernel caps it at net.core.somaxconn. Twisted's own default is 50.
BACKLOG = 1024


def split_bind(args):
    """(host, port, the other arguments) from a daphne command line's -b/--bind and -p/--port."""
    host, port, rest = "127.0.0.1", None, []
    words = iter(args)
    for word in words:
        if word in ("-b", "--bind"):
            host = next(words)
        elif word in ("-p", "--port"):
            port = int(next(words))
        else:
            rest.append(word)
    if port is None:
        raise SystemExit("reuseport: the daphne command needs -p PORT")
    return host, port, rest


def listening_socket(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    host, port, command = split_bind(argv)
    sock = listening_socket(host, port)
    os.execvp(command[0], command[:1] + ["--fd", str(sock.fileno())] + command[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
