"""The terminal's pieces without processes: hosts file, frames, recordings, pages, and the connect consumer."""
import json
import os
import tempfile

from channels.test import ChannelTestCase
from django.contrib.auth.models import User
from django.test import SimpleTestCase, TestCase, override_settings

from channels_example.terminal.frames import terminal_frame
from channels_example.terminal.hosts import HostsError, load_hosts
from channels_example.terminal.recording import RECORDING_NAME, Recording, list_recordings
from channels_kit.client_errors import ClientError
from tests.support.clients import DaphneWSClient

GOOD_HOST = """
[hosts.web1]
host = "10.0.0.5"
username = "deploy"
key_file = "/keys/id_ed25519"
known_hosts = "/keys/known_hosts"
"""


def hosts_file(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    f.write(text)
    f.close()
    return f.name


class HostsTests(SimpleTestCase):
    def test_a_host_with_a_key(self):
        [host] = load_hosts(hosts_file(GOOD_HOST)).values()
        self.assertEqual((host.alias, host.host, host.port, host.username, host.key_file),
                         ("web1", "10.0.0.5", 22, "deploy", "/keys/id_ed25519"))
        self.assertIsNone(host.password)

    @override_settings(TERMINAL_PASSWORDS={"TERMINAL_PASSWORD_WEB1": "s3cret"})
    def test_a_password_comes_only_from_a_terminal_password_variable(self):
        text = GOOD_HOST.replace('key_file = "/keys/id_ed25519"', 'password_env = "%s"')
        self.assertEqual(load_hosts(hosts_file(text % "TERMINAL_PASSWORD_WEB1"))["web1"].password,
                         "s3cret")
        with self.assertRaisesRegex(HostsError, "must start with TERMINAL_PASSWORD_"):
            load_hosts(hosts_file(text % "DJANGO_SECRET_KEY"))
        with self.assertRaisesRegex(HostsError, "is not set"):
            load_hosts(hosts_file(text % "TERMINAL_PASSWORD_OTHER"))

    def test_mistakes_are_named(self):
        cases = {
            GOOD_HOST.replace("web1", "recordings"): "alias",
            GOOD_HOST.replace("web1", '"a b"'): "alias",
            GOOD_HOST.replace('username = "deploy"', ""): "needs username",
            GOOD_HOST.replace('known_hosts = "/keys/known_hosts"', ""): "needs known_hosts",
            GOOD_HOST.replace('key_file = "/keys/id_ed25519"', ""): "key_file or password_env",
            GOOD_HOST + "port = 70000\n": "port",
            "[hosts\n": "",
        }
        for text, message in cases.items():
            with self.assertRaisesRegex(HostsError, message):
                load_hosts(hosts_file(text))

    def test_no_file_means_no_hosts(self):
        self.assertEqual(load_hosts("/nonexistent/hosts.toml"), {})
        with override_settings(TERMINAL_HOSTS_FILE=None):
            self.assertEqual(load_hosts(), {})


class FrameTests(SimpleTestCase):
    def frame(self, text):
        return terminal_frame(type("Message", (), {"content": {"text": text}})())

    def test_input_and_resize_pass(self):
        self.assertEqual(self.frame('{"input": "ls\\r"}'), {"input": "ls\r"})
        self.assertEqual(self.frame('{"resize": [101, 37]}'), {"resize": [101, 37]})

    def test_anything_else_is_refused_and_the_socket_stays(self):
        for text in ['{"resize": [0, 24]}', '{"resize": [80]}', '{"resize": [80.5, 24]}',
                     '{"resize": [true, 24]}', '{"resize": [1001, 24]}', '{"input": 5}',
                     '{"input": "x", "resize": [80, 24]}', '{"input": "\\ud800"}', '{}']:
            with self.assertRaises(ClientError) as caught:
                self.frame(text)
            self.assertEqual((caught.exception.error, caught.exception.close_code),
                             ("invalid-terminal-frame", None), text)


class RecordingTests(SimpleTestCase):
    def test_asciicast_v2_output_and_resizes_never_input(self):
        directory = tempfile.mkdtemp()
        recording = Recording(directory, "ann", "web1", "abc123", 80, 24)
        euro = "€".encode()
        recording.output(b"price: " + euro[:1])  # a character split across two reads
        recording.input("secret\r")
        recording.output(euro[1:] + b"\r\n")
        recording.resize(120, 40)
        recording.close("exited")
        name = os.path.basename(recording.path)
        self.assertRegex(name, RECORDING_NAME)
        with open(recording.path) as f:
            header, *events = [json.loads(line) for line in f]
        self.assertEqual({k: header[k] for k in ("version", "width", "height", "title")},
                         {"version": 2, "width": 80, "height": 24, "title": "ann@web1"})
        self.assertEqual([e[1:] for e in events],
                         [["o", "price: "], ["o", "€\r\n"], ["r", "120x40"]])
        self.assertNotIn("secret", open(recording.path).read())
        with open(os.path.join(directory, "audit.log")) as f:
            audit = json.loads(f.readline())
        self.assertEqual((audit["user"], audit["alias"], audit["bytes_out"], audit["bytes_in"]),
                         ("ann", "web1", 12, 7))
        self.assertEqual(list_recordings(directory), [(name, header)])


class PageTests(TestCase):
    def test_staff_only(self):
        self.assertRedirects(self.client.get("/terminal/"), "/accounts/login/?next=/terminal/",
                             fetch_redirect_response=False)
        self.client.force_login(User.objects.create_user("plain"))
        self.assertEqual(self.client.get("/terminal/").status_code, 403)

    def test_hosts_page_lists_the_file_or_says_there_is_none(self):
        self.client.force_login(User.objects.create_user("boss", is_staff=True))
        with override_settings(TERMINAL_HOSTS_FILE=None):
            self.assertContains(self.client.get("/terminal/"), "No hosts are configured")
        with override_settings(TERMINAL_HOSTS_FILE=hosts_file(GOOD_HOST)):
            self.assertContains(self.client.get("/terminal/"), 'href="/terminal/web1/"')
            self.assertEqual(self.client.get("/terminal/web1/").status_code, 200)
            self.assertEqual(self.client.get("/terminal/web2/").status_code, 404)

    def test_recordings_list_shows_when_each_session_started(self):
        directory = tempfile.mkdtemp()
        recording = Recording(directory, "ann", "web1", "abc123", 80, 24)
        recording.close("exited")
        self.client.force_login(User.objects.create_user("boss", is_staff=True))
        with override_settings(TERMINAL_RECORDINGS_DIR=directory):
            page = self.client.get("/terminal/recordings/").content.decode()
        self.assertIn("<td>%s</td>" % recording.started.strftime("%Y-%m-%d %H:%M:%S"), page)
        self.assertIn("ann@web1", page)

    def test_recordings_never_leave_their_directory(self):
        self.client.force_login(User.objects.create_user("boss", is_staff=True))
        for path in ["/terminal/recordings/..%2Fdb.cast", "/terminal/recordings/x/",
                     "/terminal/recordings/20260101T000000Z-a-b-c.cast"]:
            self.assertEqual(self.client.get(path).status_code, 404, path)


class ConnectTests(ChannelTestCase):
    def connect(self, path, staff=True):
        client = DaphneWSClient(ordered=True)
        client.force_login(User.objects.create_user("u%d" % User.objects.count(), is_staff=staff))
        client.send_and_consume("websocket.connect", path=path, check_accept=False)
        return client.receive()  # the error frame, decoded

    def test_an_unknown_alias_is_refused_before_anything_else(self):
        with override_settings(TERMINAL_HOSTS_FILE=hosts_file(GOOD_HOST)):
            self.assertEqual(self.connect("/terminal/web2/")["close"], 4602)
            self.assertEqual(self.connect("/terminal/web1/", staff=False)["close"], 4203)

    def test_without_the_service_the_socket_is_told_so(self):
        # The in-memory layer has no service heartbeat: no runterminal is running.
        with override_settings(TERMINAL_HOSTS_FILE=hosts_file(GOOD_HOST)):
            reply = self.connect("/terminal/web1/")
        self.assertEqual((reply["error"], reply["close"]), ("terminal-unavailable", 4609))
