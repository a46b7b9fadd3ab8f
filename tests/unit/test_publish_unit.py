"""channels_kit.publish: sends that follow the transaction, once, and refuse when nobody listens."""
from channels import Channel, Group
from channels.test import TransactionChannelTestCase
from django.db import transaction

from channels_example.bindings import GROUP
from channels_example.models import LiveValue
from channels_kit import publish
from channels_kit.publish import LayerUnreachable
from tests.support.clients import DaphneWSClient


class Rolledback(Exception):
    pass


class PublishTests(TransactionChannelTestCase):
    def member_of(self, group):
        socket = DaphneWSClient()
        Group(group).add(Channel(socket.reply_channel))
        return socket

    def test_outside_a_transaction_it_sends_at_once(self):
        socket = self.member_of("news")
        publish.to_group("news", {"text": "now"})
        self.assertEqual(socket.receive(json=False), "now")

    def test_inside_a_transaction_it_waits_for_the_commit_and_sends_once(self):
        socket = self.member_of("news")
        with transaction.atomic():
            publish.to_group("news", {"text": "after commit"})
            self.assertIsNone(socket.receive(json=False))
        self.assertEqual(socket.receive(json=False), "after commit")
        self.assertIsNone(socket.receive(json=False))

    def test_a_rollback_sends_nothing(self):
        socket = self.member_of("news")
        with self.assertRaises(Rolledback), transaction.atomic():
            publish.to_channel(socket.reply_channel, {"text": "never"})
            raise Rolledback()
        self.assertIsNone(socket.receive(json=False))

    def test_a_rolled_back_savepoint_drops_only_its_own_sends(self):
        socket = self.member_of("news")
        with transaction.atomic():
            publish.to_group("news", {"text": "kept"})
            with self.assertRaises(Rolledback), transaction.atomic():
                publish.to_group("news", {"text": "undone"})
                raise Rolledback()
        self.assertEqual(socket.receive(json=False), "kept")
        self.assertIsNone(socket.receive(json=False))

    def test_a_binding_save_that_rolls_back_reaches_no_subscriber(self):
        socket = self.member_of(GROUP)
        with self.assertRaises(Rolledback), transaction.atomic():
            LiveValue.objects.create(name="temp", value="21")
            raise Rolledback()
        self.assertIsNone(socket.receive(json=False))
        LiveValue.objects.create(name="temp", value="22")
        self.assertIn('"value": "22"', socket.receive(json=False))
        self.assertIsNone(socket.receive(json=False))

    def test_outside_every_server_the_in_memory_layer_is_refused_with_a_reason(self):
        socket = self.member_of("news")
        with self.assertRaisesMessage(LayerUnreachable, "lives inside this one process"):
            publish.to_group("news", {"text": "lost"}, outside=True)
        self.assertIsNone(socket.receive(json=False))

    def test_a_site_function_that_sends_runs_only_once_committed(self):
        socket, ran = self.member_of("news"), []

        def say():
            ran.append(True)
            Group("news").send({"text": "said"}, immediately=True)

        with self.assertRaises(Rolledback), transaction.atomic():
            publish.when_committed(say)
            raise Rolledback()
        self.assertEqual((ran, socket.receive(json=False)), ([], None))
        with transaction.atomic():
            publish.when_committed(say)
        self.assertEqual((ran, socket.receive(json=False)), ([True], "said"))

    def test_a_message_must_be_a_dict(self):
        with self.assertRaises(TypeError):
            publish.to_group("news", "text")
