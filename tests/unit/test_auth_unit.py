"""Sign-up, letters and notifications on the in-memory layer (Django test client, channels.test)."""
from channels.test import ChannelTestCase
from django.contrib.auth.models import User
from django.test import TestCase

from channels_example.chat import letter_of
from tests.support.clients import DaphneWSClient


def logged_in(username):
    client = DaphneWSClient(ordered=True)
    client.force_login(User.objects.create_user(username))
    return client


def connected(client, path):
    client.send_and_consume("websocket.connect", path=path)
    return client


class SignupTests(TestCase):
    def test_signup_creates_the_user_and_logs_in(self):
        response = self.client.post("/accounts/signup/", {
            "username": "newcomer", "password1": "a long pass phrase",
            "password2": "a long pass phrase",
        })
        self.assertRedirects(response, "/")
        user = User.objects.get(username="newcomer")
        self.assertEqual(self.client.session["_auth_user_id"], str(user.pk))

    def test_mismatched_passwords_show_the_form_again(self):
        response = self.client.post("/accounts/signup/", {
            "username": "newcomer", "password1": "a long pass phrase", "password2": "another",
        })
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "password fields didn")
        self.assertFalse(User.objects.filter(username="newcomer").exists())

    def test_a_weak_password_is_refused_with_the_validators_reasons(self):
        response = self.client.post("/accounts/signup/", {
            "username": "newcomer", "password1": "123", "password2": "123",
        })
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "This password is too short.")
        self.assertContains(response, "This password is too common.")
        self.assertContains(response, "This password is entirely numeric.")
        self.assertFalse(User.objects.filter(username="newcomer").exists())

    def test_the_sign_up_page_lists_the_password_rules_before_anyone_types(self):
        response = self.client.get("/accounts/signup/")
        self.assertContains(response, "at least 8 characters")
        self.assertContains(response, "be entirely numeric")


class LetterOfTests(TestCase):
    def test_first_character_lowercased_or_spelled_as_code_point(self):
        cases = {"alice": "a", "Bob": "b", "9lives": "9", "_x": "_", "\u00c9mile": "u00e9",
                 "+plus": "u002b", "@at": "u0040"}
        self.assertEqual({name: letter_of(name) for name in cases}, cases)


class LettersTests(ChannelTestCase):
    def test_only_the_same_letter_hears_you(self):
        alice = connected(logged_in("alice"), "/letters/")
        amy = connected(logged_in("Amy"), "/letters/")
        bob = connected(logged_in("bob"), "/letters/")
        alice.send_and_consume("websocket.receive", {"text": '{"text": "hi"}'}, path="/letters/")
        for client in (alice, amy):
            got = client.receive()
            self.assertEqual((got["letter"], got["user"], got["text"]), ("a", "alice", "hi"))
        self.assertIsNone(bob.receive())

    def test_anonymous_is_refused_with_4201(self):
        client = DaphneWSClient(ordered=True)
        client.send_and_consume("websocket.connect", path="/letters/", check_accept=False)
        reply = client.get_next_message(client.reply_channel).content
        self.assertEqual((reply["accept"], reply["close"]), (True, 4201))
        self.assertIn('"error": "login-required"', reply["text"])


class NotificationsTests(ChannelTestCase):
    def test_all_sockets_of_the_user_and_nobody_else(self):
        nora = User.objects.create_user("nora")
        tabs = [DaphneWSClient(ordered=True) for _ in range(2)]
        for tab in tabs:
            tab.force_login(nora)
            connected(tab, "/notifications/")
        otto = connected(logged_in("otto"), "/notifications/")
        tabs[0].send_and_consume("websocket.receive", {"text": '{"text": "ping"}'},
                                 path="/notifications/")
        for tab in tabs:
            got = tab.receive()
            self.assertEqual((got["type"], got["user"], got["text"]),
                             ("user.message", "nora", "ping"))
        self.assertIsNone(otto.receive())

    def test_anonymous_is_refused_with_4201(self):
        client = DaphneWSClient(ordered=True)
        client.send_and_consume("websocket.connect", path="/notifications/", check_accept=False)
        reply = client.get_next_message(client.reply_channel).content
        self.assertEqual((reply["accept"], reply["close"]), (True, 4201))
        self.assertIn('"error": "login-required"', reply["text"])

    def test_password_change_ends_the_socket_with_4202(self):
        nora = connected(logged_in("nora"), "/notifications/")
        user = User.objects.get(username="nora")
        user.set_password("changed elsewhere")
        user.save()
        nora.send_and_consume("websocket.receive", {"text": '{"text": "ping"}'},
                              path="/notifications/")
        reply = nora.get_next_message(nora.reply_channel).content
        self.assertEqual(reply["close"], 4202)
        self.assertIn('"error": "session-ended"', reply["text"])

    def test_disconnect_leaves_the_user_group(self):
        nora = connected(logged_in("nora"), "/notifications/")
        group = "user-%d" % User.objects.get(username="nora").pk
        self.assertIn(nora.reply_channel, nora.channel_layer.group_channels(group))
        nora.send_and_consume("websocket.disconnect", {"code": 1000}, path="/notifications/")
        self.assertNotIn(nora.reply_channel, nora.channel_layer.group_channels(group))
