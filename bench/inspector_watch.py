"""A staff inspector tab on the project's split, for the ``inspector-open`` server.

The bench's other project servers have no inspector open, which is the
state whose cost must be nothing measurable. This one keeps one
``/inspector/`` socket open for the whole run, reading every event as the
page would, so the table shows what watching costs the split's processes
(this reader's own CPU is the bench's, not the server's).
"""
import http.cookiejar
import threading
import urllib.parse
import urllib.request

import websocket

USERNAME, PASSWORD = "bench_watcher", "bench watcher pass"


class InspectorTab:
    def __init__(self, split):
        self.split = split
        self.events = 0
        self.socket = None
        self.thread = None

    def open(self):
        self.split.manage("shell", "-c",
                          "from django.contrib.auth.models import User; "
                          "User.objects.create_user(%r, password=%r, is_staff=True)"
                          % (USERNAME, PASSWORD))
        self.socket = websocket.create_connection(
            "ws://127.0.0.1:%d/inspector/" % self.split.port, timeout=30,
            origin=self.split.url, cookie=self.login())
        first = self.socket.recv()
        if '"attached"' not in first:
            raise RuntimeError("inspector refused the bench: %s" % first)
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def login(self):
        """The session cookie header of the staff user, logged in through the login form."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = self.split.url + "/accounts/login/"
        opener.open(login, timeout=30).read()
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        form = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD,
                                       "csrfmiddlewaretoken": csrf}).encode()
        opener.open(urllib.request.Request(login, form, headers={"Referer": login}),
                    timeout=30).read()
        return "; ".join("%s=%s" % (c.name, c.value) for c in jar)

    def read(self):
        try:
            while True:
                self.socket.recv()
                self.events += 1
        except (websocket.WebSocketException, OSError):
            pass  # closed at the end of the run

    def close(self):
        if self.socket is not None:
            self.socket.close()
            self.thread.join(5)
