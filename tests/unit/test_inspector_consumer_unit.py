"""Who may open /inspector/, on the in-memory layer (channels.test): the refusals need no split."""
import json

from channels.test import ChannelTestCase
from django.contrib.auth.models import User

from tests.support.clients import DaphneWSClient


def refusal(client):
    """The error name and close code the socket was answered with."""
    client.send_and_consume("websocket.connect", path="/inspector/", check_accept=False)
    reply = client.get_next_message(client.reply_channel).content
    assert reply["accept"] is True
    return json.loads(reply["text"])["error"], reply["close"]


def as_user(username, **flags):
    client = DaphneWSClient()
    client.force_login(User.objects.create_user(username, **flags))
    return client


class InspectorAccessTests(ChannelTestCase):
    def test_anonymous_is_refused_with_4201(self):
        self.assertEqual(refusal(DaphneWSClient()), ("login-required", 4201))

    def test_logged_in_non_staff_is_refused_with_4203(self):
        self.assertEqual(refusal(as_user("reader")), ("staff-required", 4203))

    def test_deactivated_staff_counts_as_logged_out(self):
        # Django's get_user gives an inactive user's session no user.
        self.assertEqual(refusal(as_user("gone", is_staff=True, is_active=False)),
                         ("login-required", 4201))

    def test_staff_on_a_layer_without_hooks_is_told_it_is_unavailable(self):
        # The in-memory layer (runserver, these tests) has no inspector.
        self.assertEqual(refusal(as_user("boss", is_staff=True)),
                         ("inspector-unavailable", 4600))
