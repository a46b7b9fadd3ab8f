"""Echo and global chat consumers on the in-memory layer, through channels.test."""
from channels import Group
from channels.exceptions import DenyConnection
from channels.test import ChannelTestCase

from tests.support.clients import DaphneWSClient as client


class EchoTests(ChannelTestCase):
    def test_text_comes_back_as_text(self):
        c = client()
        c.send_and_consume("websocket.connect", path="/echo/")
        c.send_and_consume("websocket.receive", {"text": "hello"}, path="/echo/")
        self.assertEqual(c.receive(json=False), "hello")

    def test_bytes_come_back_as_bytes(self):
        c = client()
        c.send_and_consume("websocket.connect", path="/echo/")
        c.send_and_consume("websocket.receive", {"bytes": b"\x00\xff"}, path="/echo/")
        self.assertEqual(c.get_next_message(c.reply_channel).content, {"bytes": b"\x00\xff"})

    def test_foreign_origin_is_refused(self):
        # The worker turns DenyConnection into {"accept": False}: an HTTP 403.
        c = client(origin="http://evil.example")
        with self.assertRaises(DenyConnection):
            c.send_and_consume("websocket.connect", path="/echo/", check_accept=False)


class ChatTests(ChannelTestCase):
    # /chat/ runs under enforce_ordering: messages carry daphne's order numbers.

    def test_text_goes_to_everyone_in_the_group(self):
        alice, bob = client(ordered=True), client(ordered=True)
        for c in (alice, bob):
            c.send_and_consume("websocket.connect", path="/chat/")
        alice.send_and_consume("websocket.receive", {"text": "hi"}, path="/chat/")
        self.assertEqual(alice.receive(json=False), "[anonymous] hi")
        self.assertEqual(bob.receive(json=False), "[anonymous] hi")

    def test_disconnect_leaves_the_group(self):
        c = client(ordered=True)
        c.send_and_consume("websocket.connect", path="/chat/")
        self.assertIn(c.reply_channel, Group("chat").channel_layer.group_channels("chat"))
        c.send_and_consume("websocket.disconnect", {"code": 1000}, path="/chat/")
        self.assertNotIn(c.reply_channel, Group("chat").channel_layer.group_channels("chat"))

    def test_binary_frame_gets_json_error_and_close(self):
        c = client(ordered=True)
        c.send_and_consume("websocket.connect", path="/chat/")
        c.send_and_consume("websocket.receive", {"bytes": b"\x01"}, path="/chat/")
        reply = c.get_next_message(c.reply_channel).content
        self.assertEqual(reply["close"], 4003)
        self.assertIn('"error": "text-required"', reply["text"])
