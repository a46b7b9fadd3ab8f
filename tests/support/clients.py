"""A channels.test WSClient that sends headers the way daphne 1.4 does.

Stock WSClient builds a dict of str headers; daphne sends a list of
``[name, value]`` byte pairs, and the origin validator only understands the
latter. This client also sends a Host and the same-origin Origin by default,
as a browser on the site's own page does.
"""
from channels.test import WSClient


class DaphneWSClient(WSClient):
    def __init__(self, origin="http://127.0.0.1", host="127.0.0.1", **kwargs):
        super().__init__(**kwargs)
        self.set_header("host", host)
        if origin:
            self.set_header("origin", origin)

    @property
    def headers(self):
        return [[as_bytes(name), as_bytes(value)] for name, value in super().headers.items()]


def as_bytes(value):
    return value if isinstance(value, bytes) else value.encode()


def in_process_layer():
    """Let a command send on the in-memory layer, for a test that reads that layer itself.

    Commands that send refuse the in-memory layer (nothing outside their
    process hears it: ``RequiresSharedLayer``). Under ``call_command`` in a
    ChannelTestCase the test is the listener, in the same process, so the
    refusal would be wrong there.
    """
    from unittest import mock

    from channels_kit.shared_layer import RequiresSharedLayer
    return mock.patch.object(RequiresSharedLayer, "local_backends", ())
