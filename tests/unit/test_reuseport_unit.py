"""channels_kit.operations.reuseport: the daphne command it runs and the sockets it binds."""
import socket

import pytest

from channels_kit.operations.reuseport import listening_socket, split_bind
from channels_kit.testing.split import free_port


def test_bind_arguments_leave_the_rest_of_daphnes_command_in_order():
    host, port, rest = split_bind(["daphne", "-b", "127.0.0.1", "-p", "8000", "-v", "2",
                                   "asgi:channel_layer"])
    assert (host, port) == ("127.0.0.1", 8000)
    assert rest == ["daphne", "-v", "2", "asgi:channel_layer"]


def test_a_command_without_a_port_is_refused():
    with pytest.raises(SystemExit):
        split_bind(["daphne", "asgi:channel_layer"])


def test_two_sockets_listen_on_one_port_and_both_are_handed_on():
    port = free_port()
    first, second = listening_socket("127.0.0.1", port), listening_socket("127.0.0.1", port)
    try:
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)
        assert first.get_inheritable() and second.get_inheritable()
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    finally:
        first.close()
        second.close()
