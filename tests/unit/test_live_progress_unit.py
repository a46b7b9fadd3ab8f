"""/live/ (data binding behind a demultiplexer) and /progress/ on the in-memory layer."""
import json

from channels.exceptions import DenyConnection
from channels.test import ChannelTestCase, TransactionChannelTestCase
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from channels_example.models import LiveValue
from tests.support.clients import DaphneWSClient as client
from tests.support.clients import in_process_layer
from tests.support.replies import error_of


def frame(stream, **payload):
    return {"text": json.dumps({"stream": stream, "payload": payload})}


class LiveValueTests(TransactionChannelTestCase):
    def subscriber(self, user=None):
        """A socket on /live/, past its snapshot of the values that already exist."""
        c = client(ordered=True)
        if user:
            c.force_login(user)
        c.send_and_consume("websocket.connect", path="/live/")
        self.assertEqual(c.receive()["payload"]["action"], "snapshot")
        return c

    def test_a_new_socket_first_gets_every_current_value(self):
        LiveValue.objects.create(name="temp", value="21")
        LiveValue.objects.create(name="humidity", value="40%")
        c = client(ordered=True)
        c.send_and_consume("websocket.connect", path="/live/")
        snapshot = c.receive()
        self.assertEqual(snapshot["stream"], "values")
        self.assertEqual(snapshot["payload"]["action"], "snapshot")
        values = snapshot["payload"]["values"]
        self.assertEqual([(v["data"]["name"], v["data"]["value"]) for v in values],
                         [("humidity", "40%"), ("temp", "21")])
        self.assertEqual([v["pk"] for v in values],
                         [LiveValue.objects.get(name=n).pk for n in ("humidity", "temp")])
        self.assertIn("updated_at", values[0]["data"])
        self.assertIsNone(c.receive())

    def test_with_no_values_the_snapshot_is_empty(self):
        c = client(ordered=True)
        c.send_and_consume("websocket.connect", path="/live/")
        self.assertEqual(c.receive()["payload"]["values"], [])

    def test_a_save_reaches_every_subscriber(self):
        subscribers = [self.subscriber(), self.subscriber()]
        LiveValue.objects.create(name="temp", value="21")
        for c in subscribers:
            message = c.receive()
            self.assertEqual(message["stream"], "values")
            self.assertEqual(message["payload"]["action"], "create")
            self.assertEqual(message["payload"]["data"]["value"], "21")

    def test_setvalue_command_creates_then_updates(self):
        c = self.subscriber()
        with in_process_layer():
            call_command("setvalue", "load", "0.5", stdout=open("/dev/null", "w"))
            call_command("setvalue", "load", "0.7", stdout=open("/dev/null", "w"))
        first, second = c.receive()["payload"], c.receive()["payload"]
        self.assertEqual((first["action"], first["data"]["value"]), ("create", "0.5"))
        self.assertEqual((second["action"], second["data"]["value"]), ("update", "0.7"))
        self.assertEqual(first["pk"], second["pk"])

    def test_setvalue_refuses_a_blank_name_and_saves_nothing(self):
        with in_process_layer():
            call_command("setvalue", "ok", "1", stdout=open("/dev/null", "w"))
            self.assertEqual(list(LiveValue.objects.values_list("name", flat=True)), ["ok"])
            for name in ("", "  "):
                with self.assertRaisesRegex(CommandError, "blank"):
                    call_command("setvalue", name, "5")
        self.assertEqual(list(LiveValue.objects.values_list("name", flat=True)), ["ok"])

    def test_staff_cannot_create_a_blank_name_over_the_socket(self):
        c = self.subscriber(User.objects.create_user("admin", is_staff=True))
        c.send_and_consume("websocket.receive",
                           frame("values", action="create", data={"name": "x", "value": "1"}),
                           path="/live/")
        self.assertEqual(c.receive()["payload"]["data"]["name"], "x")
        c.send_and_consume("websocket.receive",
                           frame("values", action="create", data={"name": "  ", "value": "1"}),
                           path="/live/")
        self.assertEqual(error_of(c), ("invalid-binding", None))
        self.assertEqual(list(LiveValue.objects.values_list("name", flat=True)), ["x"])

    def test_delete_is_sent_too(self):
        value = LiveValue.objects.create(name="gone", value="x")
        c = self.subscriber()
        value.delete()
        self.assertEqual(c.receive()["payload"]["action"], "delete")

    def test_staff_can_update_over_the_socket(self):
        value = LiveValue.objects.create(name="mode", value="off")
        c = self.subscriber(User.objects.create_user("admin", is_staff=True))
        c.send_and_consume("websocket.receive",
                           frame("values", action="update", pk=value.pk, data={"value": "on"}),
                           path="/live/")
        self.assertEqual(LiveValue.objects.get(pk=value.pk).value, "on")
        self.assertEqual(c.receive()["payload"]["data"]["value"], "on")

    def test_anonymous_update_is_refused_and_changes_nothing(self):
        value = LiveValue.objects.create(name="mode", value="off")
        c = self.subscriber()
        c.send_and_consume("websocket.receive",
                           frame("values", action="update", pk=value.pk, data={"value": "on"}),
                           path="/live/")
        self.assertEqual(error_of(c), ("not-allowed", None))
        self.assertEqual(LiveValue.objects.get(pk=value.pk).value, "off")

    def test_anyone_but_staff_is_refused_before_the_payload_is_read(self):
        c = self.subscriber(User.objects.create_user("plain"))
        for payload in ({"action": "update", "pk": 10 ** 30, "data": {"value": "x"}},
                        {"action": "explode"}, {"action": "create", "data": "nope"}):
            c.send_and_consume("websocket.receive", frame("values", **payload), path="/live/")
            self.assertEqual(error_of(c), ("not-allowed", None), payload)

    def test_types_are_strict_for_staff(self):
        first = LiveValue.objects.create(name="first", value="1")
        c = self.subscriber(User.objects.create_user("admin", is_staff=True))
        for payload in (
            {"action": "update", "pk": 10 ** 30, "data": {"value": "x"}},  # was an OverflowError
            {"action": "update", "pk": -1, "data": {"value": "x"}},
            {"action": "update", "pk": True, "data": {"value": "x"}},  # was row 1
            {"action": "delete", "pk": 1.0},
            {"action": "update", "pk": first.pk, "data": {"name": ["x"]}},  # was saved as "['x']"
            {"action": "update", "pk": first.pk, "data": {"value": 5}},
            {"action": "update", "pk": first.pk, "data": {"updated_at": "2000-01-01"}},
            {"action": "create", "data": {"name": {"a": 1}, "value": "v"}},
        ):
            c.send_and_consume("websocket.receive", frame("values", **payload), path="/live/")
            self.assertEqual(error_of(c), ("invalid-binding", None), payload)
        first.refresh_from_db()
        self.assertEqual((first.name, first.value), ("first", "1"))
        self.assertEqual(LiveValue.objects.count(), 1)

    def test_bad_frames_are_answered_and_the_socket_stays_open(self):
        c = self.subscriber(User.objects.create_user("admin", is_staff=True))
        cases = [
            ({"text": "{bad"}, "invalid-json"),
            ({"text": '{"stream": "values"}'}, "invalid-stream"),
            (frame("other", action="create"), "invalid-stream"),
            ({"text": '{"stream": "values", "payload": [1]}'}, "invalid-stream"),
            (frame("values", action="explode"), "invalid-binding"),
            (frame("values", action="update", pk=999, data={"value": "x"}), "invalid-binding"),
            (frame("values", action="update", pk="1", data={"value": "x"}), "invalid-binding"),
            (frame("values", action="create", data={"value": "no name"}), "invalid-binding"),
        ]
        for content, expected in cases:
            c.send_and_consume("websocket.receive", content, path="/live/")
            self.assertEqual(error_of(c), (expected, None), content)
        c.send_and_consume("websocket.receive",
                           frame("values", action="create", data={"name": "ok", "value": "1"}),
                           path="/live/")
        self.assertEqual(c.receive()["payload"]["data"]["name"], "ok")

    def test_foreign_origin_is_refused(self):
        c = client(origin="http://evil.example", ordered=True)
        with self.assertRaises(DenyConnection):
            c.send_and_consume("websocket.connect", path="/live/", check_accept=False)


class ProgressTests(ChannelTestCase):
    def connect(self):
        c = client(ordered=True)
        c.send_and_consume("websocket.connect", path="/progress/")
        return c

    def test_one_frame_gets_every_step_then_done(self):
        c = self.connect()
        c.send_and_consume("websocket.receive", {"text": '{"steps": 4}'}, path="/progress/")
        received = [c.receive() for _ in range(5)]
        self.assertEqual(received, [{"step": i, "of": 4} for i in range(1, 5)] + [{"done": True}])
        self.assertIsNone(c.receive())

    def test_steps_out_of_range_are_refused_and_the_socket_stays_open(self):
        c = self.connect()
        for bad in ['{"steps": 0}', '{"steps": 51}', '{"steps": "3"}', '{"steps": true}', "{}",
                    '{"steps": 2, "buffered": "yes"}']:
            c.send_and_consume("websocket.receive", {"text": bad}, path="/progress/")
            self.assertEqual(error_of(c), ("invalid-steps", None), bad)
        c.send_and_consume("websocket.receive", {"text": '{"steps": 1}'}, path="/progress/")
        self.assertEqual(c.receive(), {"step": 1, "of": 1})

    def test_foreign_origin_is_refused(self):
        c = client(origin="http://evil.example", ordered=True)
        with self.assertRaises(DenyConnection):
            c.send_and_consume("websocket.connect", path="/progress/", check_accept=False)
