"""Rooms that remember, on the in-memory layer: ids, trimming, catch-up on connect."""
import uuid

from channels.test import TransactionChannelTestCase
from django.test import SimpleTestCase, override_settings

from channels_example.push import push_to_room
from channels_kit.client_errors import ClientError
from channels_kit.history import GroupHistory, id_key, since_of
from tests.support.clients import DaphneWSClient


def keys(messages):
    return [id_key(message["id"]) for message in messages]


def fresh_group():
    return "history-%s" % uuid.uuid4().hex[:8]


class GroupHistoryTests(SimpleTestCase):
    def test_ids_grow_and_the_latest_come_back_in_order(self):
        history = GroupHistory(fresh_group(), size=3)
        added = [history.add({"text": str(n)}) for n in range(5)]
        keys = [id_key(message["id"]) for message in added]
        self.assertEqual(keys, sorted(set(keys)))
        latest, complete = history.since("")
        self.assertEqual([m["text"] for m in latest], ["2", "3", "4"])
        self.assertEqual([m["id"] for m in latest], [m["id"] for m in added[2:]])
        self.assertTrue(complete)

    def test_what_came_after_an_id_is_complete_while_it_is_kept(self):
        history = GroupHistory(fresh_group(), size=3)
        added = [history.add({"text": str(n)}) for n in range(5)]
        after, complete = history.since(added[1]["id"])  # the newest one trimmed
        self.assertEqual(([m["text"] for m in after], complete), (["2", "3", "4"], True))
        after, complete = history.since(added[0]["id"])  # "1" is gone
        self.assertEqual(([m["text"] for m in after], complete), (["2", "3", "4"], False))
        after, complete = history.since(added[4]["id"])  # nothing new: only copies of what it saw
        self.assertEqual(([m for m in after if id_key(m["id"]) > keys(added)[4]], complete), ([], True))

    def test_a_catch_up_reaches_back_past_the_newest_id_seen(self):
        """Two workers can keep "1" before "2" and send "2" first: a socket that saw only "2"
        still gets "1". Only what was kept within ``reorder_ms`` before its id comes again."""
        history = GroupHistory(fresh_group())
        first, second = history.add({"text": "1"}), history.add({"text": "2"})
        after, complete = history.since(second["id"])
        self.assertEqual((after, complete), ([first, second], True))
        later = "%d-0" % (id_key(second["id"])[0] + history.reorder_ms + 1)
        self.assertEqual(history.since(later), ([], True))

    def test_an_id_the_group_never_kept_is_not_complete(self):
        history = GroupHistory(fresh_group())
        self.assertEqual(history.since("1-0"), ([], False))
        history.add({"text": "first"})
        self.assertFalse(history.since("1-0")[1])  # anything before the first is unknown

    def test_the_size_is_capped(self):
        self.assertEqual(GroupHistory(fresh_group(), size=10 ** 6).size, GroupHistory.max_size)
        self.assertEqual(GroupHistory(fresh_group()).size, GroupHistory.size)


class SinceTests(SimpleTestCase):
    def connect(self, query):
        return type("Message", (), {"content": {"query_string": query}})()

    def test_since_is_an_id_empty_or_absent(self):
        self.assertEqual(since_of(self.connect(b"since=1733500000000-3")), "1733500000000-3")
        self.assertEqual(since_of(self.connect(b"since=")), "")
        self.assertIsNone(since_of(self.connect(b"token=x")))

    def test_anything_else_is_refused_with_its_own_error(self):
        for query in (b"since=abc", b"since=1-2&since=3-4", b"since=-1-0", b"since=1-2-3"):
            with self.assertRaises(ClientError) as refused:
                since_of(self.connect(query))
            self.assertEqual((refused.exception.error, refused.exception.close_code),
                             ("invalid-since", 4005), query)


class RoomCatchUpTests(TransactionChannelTestCase):
    def connect(self, room, query=None):
        client = DaphneWSClient(ordered=True)
        path = "/chat/%s/" % room + ("?%s" % query if query is not None else "")
        client.send_and_consume("websocket.connect", path=path)
        return client

    def say(self, client, room, text):
        client.send_and_consume("websocket.receive", {"text": '{"text": "%s"}' % text},
                                path="/chat/%s/" % room)

    def test_a_socket_that_asks_gets_what_it_missed_then_live_messages(self):
        room = fresh_group()
        speaker = self.connect(room)
        self.say(speaker, room, "one")
        first = speaker.receive()
        self.assertEqual((first["text"], first["room"]), ("one", room))
        for text in ("two", "three"):
            self.say(speaker, room, text)
            speaker.receive()
        returning = self.connect(room, "since=%s" % first["id"])
        caught = returning.receive()
        # "one", the id it asked after, comes again (kept moments before): the page drops it.
        self.assertEqual([m["text"] for m in caught["history"]], ["one", "two", "three"])
        self.assertEqual(caught["history"][0]["id"], first["id"])
        self.assertTrue(caught["complete"])
        self.say(speaker, room, "four")
        self.assertEqual(returning.receive()["text"], "four")

    def test_a_socket_that_does_not_ask_gets_no_history(self):
        room = fresh_group()
        speaker = self.connect(room)
        self.say(speaker, room, "said before")
        speaker.receive()
        plain = self.connect(room)
        self.assertIsNone(plain.receive())

    @override_settings(ROOM_HISTORY=3)
    def test_a_page_that_loads_gets_the_latest_and_pushes_are_kept_too(self):
        room = fresh_group()
        speaker = self.connect(room)
        self.say(speaker, room, "dropped")
        push_to_room(room, "from the server")
        for text in ("a", "b"):
            self.say(speaker, room, text)
        page = self.connect(room, "since=")
        latest = page.receive()
        self.assertEqual([(m["user"], m["text"]) for m in latest["history"]],
                         [("server", "from the server"), ("anonymous", "a"), ("anonymous", "b")])
        self.assertTrue(latest["complete"])

    def test_a_bad_since_is_refused_with_4005(self):
        client = DaphneWSClient(ordered=True)
        client.send_and_consume("websocket.connect", path="/chat/x/?since=yesterday",
                                check_accept=False)
        reply = client.receive()
        self.assertEqual((reply["error"], reply["close"]), ("invalid-since", 4005))
