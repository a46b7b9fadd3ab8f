"""Push helpers and POST /api/push/ on the in-memory layer."""
import json

from channels import Channel
from channels.test import TransactionChannelTestCase
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from channels_example.chat import user_group
from channels_example.push import push_to_channel, push_to_room, push_to_user
from channels_kit.client_errors import ClientError
from tests.support.clients import DaphneWSClient, in_process_layer


def in_room(room):
    member = DaphneWSClient(ordered=True)
    member.send_and_consume("websocket.connect", path="/chat/%s/" % room)
    return member


class PushHelperTests(TransactionChannelTestCase):
    def test_push_to_room_reaches_members_as_a_chat_frame(self):
        member = in_room("news")
        push_to_room("news", "extra!")
        frame = member.receive()
        self.assertEqual((frame["room"], frame["user"]), ("news", "server"))
        self.assertEqual(frame["text"], "extra!")
        self.assertTrue(frame["ts"].endswith("Z"))

    def test_push_to_a_bad_room_name_is_refused(self):
        with self.assertRaises(ClientError) as refused:
            push_to_room("no spaces", "x")
        self.assertEqual(refused.exception.error, "invalid-room")

    def test_push_to_user_reaches_every_socket_in_their_group(self):
        alice = User.objects.create_user("alice")
        tabs = [DaphneWSClient(), DaphneWSClient()]
        for tab in tabs:
            user_group(alice.pk).add(Channel(tab.reply_channel))
        push_to_user("alice", "hello", user="ops")
        for tab in tabs:
            frame = tab.receive()
            self.assertEqual((frame["type"], frame["user"], frame["text"]),
                             ("user.message", "ops", "hello"))

    def test_push_to_user_accepts_a_user_object(self):
        bob = User.objects.create_user("bob")
        tab = DaphneWSClient()
        user_group(bob.pk).add(Channel(tab.reply_channel))
        push_to_user(bob, "hi")
        self.assertEqual(tab.receive()["text"], "hi")

    def test_push_to_unknown_user_raises(self):
        with self.assertRaises(User.DoesNotExist):
            push_to_user("nobody", "x")

    def test_push_to_channel_reaches_one_socket_only(self):
        one, other = in_room("pair"), in_room("pair")
        push_to_channel(one.reply_channel, {"only": "you"})
        self.assertEqual(one.receive(), {"only": "you"})
        self.assertIsNone(other.receive())


class PushApiTests(TransactionChannelTestCase):
    def post(self, client, body):
        data = body if isinstance(body, str) else json.dumps(body)
        return client.post("/api/push/", data, content_type="application/json")

    def staff_client(self):
        client = Client()
        client.force_login(User.objects.create_user("boss", is_staff=True))
        return client

    def test_anonymous_gets_403_json(self):
        response = self.post(Client(), {"room": "x", "text": "y"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["error"], "staff-only")

    def test_staff_without_the_csrf_token_gets_403_json(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(User.objects.create_user("boss", is_staff=True))
        response = self.post(client, {"room": "x", "text": "y"})
        self.assertEqual((response.status_code, response.json()["error"]), (403, "csrf-failed"))

    def test_a_page_without_the_csrf_token_keeps_djangos_403_page(self):
        response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x"})
        self.assertEqual(response.status_code, 403)
        self.assertIn("text/html", response["Content-Type"])

    def test_logged_in_non_staff_gets_403(self):
        client = Client()
        client.force_login(User.objects.create_user("pleb"))
        self.assertEqual(self.post(client, {"room": "x", "text": "y"}).status_code, 403)

    def test_get_is_not_allowed(self):
        self.assertEqual(self.staff_client().get("/api/push/").status_code, 405)

    def test_bad_bodies_get_400(self):
        client = self.staff_client()
        for body in ["not json", "[1]", {"text": "no target"},
                     {"room": "a", "user": "b", "text": "x"}, {"room": "a"},
                     {"room": "a", "text": "  "}, {"room": 5, "text": "x"},
                     {"user": "nobody", "text": "x"}]:
            response = self.post(client, body)
            self.assertEqual(response.status_code, 400, body)
            self.assertEqual(response.json()["error"], "invalid-push", body)

    def test_bad_room_name_gets_400_invalid_room(self):
        response = self.post(self.staff_client(), {"room": "a b", "text": "x"})
        self.assertEqual((response.status_code, response.json()["error"]), (400, "invalid-room"))

    def test_staff_push_reaches_the_room_signed_with_their_name(self):
        member = in_room("ops")
        response = self.post(self.staff_client(), {"room": "ops", "text": "deploying"})
        self.assertEqual(response.json(), {"pushed": {"room": "ops"}})
        frame = member.receive()
        self.assertEqual((frame["user"], frame["text"]), ("boss", "deploying"))


class PushCommandTests(TransactionChannelTestCase):
    def test_user_option_reaches_the_users_group(self):
        dana = User.objects.create_user("dana")
        tab = DaphneWSClient()
        user_group(dana.pk).add(Channel(tab.reply_channel))
        with in_process_layer():
            call_command("push", "--user", "dana", "done", stdout=open("/dev/null", "w"))
        self.assertEqual(tab.receive()["text"], "done")

    def test_unknown_user_is_a_command_error(self):
        with in_process_layer(), self.assertRaisesMessage(CommandError, "no user named 'ghost'"):
            call_command("push", "--user", "ghost", "x")

    def test_blank_text_is_refused_as_the_api_refuses_it(self):
        member = in_room("quiet")
        client = Client()
        client.force_login(User.objects.create_user("boss", is_staff=True))
        for text in ("", "   "):
            response = client.post("/api/push/", json.dumps({"room": "quiet", "text": text}),
                                   content_type="application/json")
            self.assertEqual((response.status_code, response.json()["error"]),
                             (400, "invalid-push"))
            with in_process_layer(), self.assertRaisesMessage(CommandError, "non-empty string"):
                call_command("push", "--room", "quiet", text)
        with in_process_layer():
            call_command("push", "--room", "quiet", "heard", stdout=open("/dev/null", "w"))
        self.assertEqual(member.receive()["text"], "heard")
        self.assertIsNone(member.receive())

    def test_room_and_user_together_are_refused(self):
        with self.assertRaises(CommandError):
            call_command("push", "--room", "a", "--user", "b", "x")
