"""/cbc/chat/ (WebsocketConsumer) and /json/ (JsonWebsocketConsumer) on the in-memory layer."""
from channels import Group
from channels.exceptions import DenyConnection
from channels.test import ChannelTestCase
from django.contrib.auth.models import User

from tests.support.clients import DaphneWSClient as client
from tests.support.replies import error_of


def cbc_members():
    return Group("cbc-chat").channel_layer.group_channels("cbc-chat")


class ClassBasedChatTests(ChannelTestCase):
    def connect(self, c=None):
        c = c or client(ordered=True)
        c.send_and_consume("websocket.connect", path="/cbc/chat/")
        return c

    def test_frames_go_to_everyone_connected(self):
        alice, bob = self.connect(), self.connect()
        alice.send_and_consume("websocket.receive", {"text": '{"text": "hi"}'}, path="/cbc/chat/")
        for c in (alice, bob):
            frame = c.receive()
            self.assertEqual((frame["user"], frame["text"]), ("anonymous", "hi"))

    def test_http_user_carries_the_django_login(self):
        c = client(ordered=True)
        c.force_login(User.objects.create_user("carol"))
        self.connect(c)
        c.send_and_consume("websocket.receive", {"text": '{"text": "me"}'}, path="/cbc/chat/")
        self.assertEqual(c.receive()["user"], "carol")

    def test_disconnect_leaves_the_group_and_tells_the_others(self):
        leaver, stayer = self.connect(), self.connect()
        leaver.send_and_consume("websocket.disconnect", {"code": 1000}, path="/cbc/chat/")
        self.assertNotIn(leaver.reply_channel, cbc_members())
        self.assertEqual(stayer.receive(), {"user": "anonymous", "left": True})
        self.assertIsNone(leaver.receive())

    def test_bad_frame_is_answered_and_the_socket_stays_usable(self):
        c = self.connect()
        c.send_and_consume("websocket.receive", {"text": "not json"}, path="/cbc/chat/")
        self.assertEqual(error_of(c), ("invalid-json", None))
        c.send_and_consume("websocket.receive", {"text": '{"text": "after"}'}, path="/cbc/chat/")
        self.assertEqual(c.receive()["text"], "after")

    def test_foreign_origin_is_refused_before_joining_the_group(self):
        c = client(origin="http://evil.example", ordered=True)
        with self.assertRaises(DenyConnection):
            c.send_and_consume("websocket.connect", path="/cbc/chat/", check_accept=False)
        self.assertNotIn(c.reply_channel, cbc_members())


class JsonConsumerTests(ChannelTestCase):
    def connect(self):
        c = client()
        c.send_and_consume("websocket.connect", path="/json/")
        return c

    def test_objects_come_back_with_a_server_timestamp(self):
        c = self.connect()
        c.send_and_consume("websocket.receive", {"text": '{"n": [1, 2]}'}, path="/json/")
        reply = c.receive()
        self.assertEqual(reply["echo"], {"n": [1, 2]})
        self.assertTrue(reply["ts"].endswith("Z"))

    def test_malformed_json_gets_an_error_and_the_socket_stays_open(self):
        c = self.connect()
        for bad in ["{nope", "[1, 2]", '"a string"', "", '{"n": NaN}', '{"n": Infinity}',
                    '{"n": [-Infinity]}', '{"n": 1e400}']:
            c.send_and_consume("websocket.receive", {"text": bad}, path="/json/")
            self.assertEqual(error_of(c), ("invalid-json", None), bad)
        c.send_and_consume("websocket.receive", {"text": '{"still": "here"}'}, path="/json/")
        self.assertEqual(c.receive()["echo"], {"still": "here"})

    def test_binary_frame_gets_error_and_4003(self):
        c = self.connect()
        c.send_and_consume("websocket.receive", {"bytes": b"\x00"}, path="/json/")
        self.assertEqual(error_of(c), ("text-required", 4003))

    def test_foreign_origin_is_refused(self):
        c = client(origin="http://evil.example")
        with self.assertRaises(DenyConnection):
            c.send_and_consume("websocket.connect", path="/json/", check_accept=False)
