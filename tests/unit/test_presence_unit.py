"""Presence on the in-memory layer: who is counted, once, and what the group hears.

The Redis store (its scripts, the daphnes' pruning) runs against real
processes in test_presence_e2e.py.
"""
import json
import uuid

from channels import DEFAULT_CHANNEL_LAYER, Channel, Group, channel_layers
from channels.test import ChannelTestCase, TransactionChannelTestCase
from django.contrib.auth.models import User

from channels_kit import presence
from channels_kit.daphne.memberships import MembershipKeeper
from channels_kit.layer.roles import unwrap
from tests.support.clients import DaphneWSClient

LISTENER = "presence-listener"


class PresenceTests(ChannelTestCase):
    def setUp(self):
        # A plain member of the group: it hears what the room would hear.
        self.group = Group("presence-%s" % uuid.uuid4().hex[:8])
        self.group.add(LISTENER)

    def heard(self):
        """The frames the listener received since last asked."""
        frames = []
        while True:
            message = self.get_next_message(LISTENER)
            if message is None:
                return frames
            frames.append({k: v for k, v in json.loads(message["text"]).items() if k != "seq"})

    def socket(self, name):
        return Channel("presence-socket-%s" % name)

    def test_two_users_are_announced_and_listed(self):
        presence.join(self.group, "alice", self.socket("a"))
        present = presence.join(self.group, "bob", self.socket("b"))
        self.assertEqual(self.heard(), [{"joined": "alice"}, {"joined": "bob"}])
        self.assertEqual((present["present"], present["guests"]), (["alice", "bob"], 0))

    def test_a_user_with_two_tabs_counts_once_and_leaves_with_the_last(self):
        presence.join(self.group, "alice", self.socket("tab1"))
        present = presence.join(self.group, "alice", self.socket("tab2"))
        self.assertEqual(present["present"], ["alice"])
        self.assertEqual(self.heard(), [{"joined": "alice"}])
        presence.leave(self.group, self.socket("tab1"))
        self.assertEqual(self.heard(), [])
        self.assertEqual(presence.members(self.group)["present"], ["alice"])
        presence.leave(self.group, self.socket("tab2"))
        self.assertEqual(self.heard(), [{"left": "alice"}])
        self.assertEqual(presence.members(self.group)["present"], [])

    def test_guests_are_counted_never_named(self):
        presence.join(self.group, None, self.socket("g1"))
        present = presence.join(self.group, "", self.socket("g2"))
        self.assertEqual((present["present"], present["guests"]), ([], 2))
        presence.leave(self.group, self.socket("g1"))
        self.assertEqual(self.heard(), [{"guests": 1}, {"guests": 2}, {"guests": 1}])

    def test_the_joining_socket_hears_nothing_before_its_present(self):
        presence.join(self.group, "alice", self.socket("a"))
        self.assertIsNone(self.get_next_message(self.socket("a").name))

    def test_changes_are_numbered_in_the_order_they_were_recorded(self):
        first = presence.join(self.group, "alice", self.socket("a"))["seq"]
        presence.join(self.group, "bob", self.socket("b"))
        presence.leave(self.group, self.socket("a"))
        seqs = []
        while True:
            message = self.get_next_message(LISTENER)
            if message is None:
                break
            seqs.append(json.loads(message["text"])["seq"])
        self.assertEqual(seqs, [first, first + 1, first + 2])
        self.assertEqual(presence.members(self.group)["seq"], first + 2)

    def test_a_pruned_membership_is_not_present_and_forgetting_it_announces_once(self):
        presence.join(self.group, "alice", self.socket("a"))
        self.heard()
        self.group.discard(self.socket("a"))  # what the daphnes' pruning does to the group
        self.assertEqual(presence.members(self.group)["present"], [])
        presence.forget([(self.group.name, self.socket("a").name)])
        presence.forget([(self.group.name, self.socket("a").name)])
        presence.leave(self.group, self.socket("a"))  # the late disconnect
        self.assertEqual(self.heard(), [{"left": "alice"}])

    def test_what_a_daphne_tick_prunes_is_announced_as_left(self):
        presence.join(self.group, "alice", self.socket("a"))
        presence.join(self.group, None, self.socket("g"))
        self.heard()
        keeper = MembershipKeeper(unwrap(channel_layers[DEFAULT_CHANNEL_LAYER]), {})
        keeper.pruned("daphne_departed")([(self.group.name, self.socket("a").name),
                                          (self.group.name, self.socket("g").name)])
        self.assertEqual(self.heard(), [{"left": "alice"}, {"guests": 0}])

    def test_joining_twice_on_one_socket_changes_nothing(self):
        presence.join(self.group, "alice", self.socket("a"))
        presence.join(self.group, "alice", self.socket("a"))
        self.assertEqual(self.heard(), [{"joined": "alice"}])


class RoomPresenceTests(TransactionChannelTestCase):
    def connect(self, room, query="presence", user=None):
        client = DaphneWSClient(ordered=True)
        if user is not None:
            client.force_login(user)
        client.send_and_consume("websocket.connect", path="/chat/%s/?%s" % (room, query))
        return client

    def test_a_socket_that_asks_gets_who_is_there_after_its_accept(self):
        room = "presence-%s" % uuid.uuid4().hex[:8]
        ada = self.connect(room, user=User.objects.create_user("ada"))
        self.assertEqual((ada.receive()["present"], ), (["ada"], ))
        guest = self.connect(room)
        self.assertEqual(ada.receive()["guests"], 1)
        present = guest.receive()
        self.assertEqual((present["present"], present["guests"]), (["ada"], 1))
        guest.send_and_consume("websocket.disconnect", path="/chat/%s/" % room)
        self.assertEqual(ada.receive()["guests"], 0)

    def test_a_socket_that_does_not_ask_is_not_counted_and_gets_no_present(self):
        room = "presence-%s" % uuid.uuid4().hex[:8]
        watcher = self.connect(room)
        watcher.receive()
        plain = self.connect(room, query="")
        self.assertIsNone(plain.receive())
        self.assertIsNone(watcher.receive())
        plain.send_and_consume("websocket.disconnect", path="/chat/%s/" % room)
        self.assertIsNone(watcher.receive())
