"""An HTTP client with a cookie jar, for logging in to the real split.

It does what a browser does before it opens a WebSocket: GET a form page
(Django sets the ``csrftoken`` cookie), POST the form with that token, and
keep the ``sessionid`` cookie Django sets on login. ``cookie_header`` is what
the browser would then send on the WebSocket handshake.
"""
import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request


class Browser:
    def __init__(self, base_url):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.read().decode()

    def post_form(self, path, fields):
        """GET the form for its CSRF cookie, then POST ``fields``; returns (final URL, body)."""
        self.get(path)
        data = dict(fields, csrfmiddlewaretoken=self.cookie("csrftoken"))
        request = urllib.request.Request(
            self.base_url + path, data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": self.base_url + path},
        )
        with self.opener.open(request, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def post_json(self, path, payload):
        """POST JSON with the CSRF header, as a page's fetch() would; returns (status, JSON)."""
        request = urllib.request.Request(
            self.base_url + path, data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.cookie("csrftoken")},
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)

    @property
    def cookie_header(self):
        return "; ".join("%s=%s" % (c.name, c.value) for c in self.jar)

    def logout(self):
        """POST the header's log-out form (Django 5 refuses a GET); returns (final URL, body)."""
        self.get("/")
        request = urllib.request.Request(
            self.base_url + "/accounts/logout/",
            data=urllib.parse.urlencode({"csrfmiddlewaretoken": self.cookie("csrftoken")}).encode(),
            headers={"Referer": self.base_url + "/"},
        )
        with self.opener.open(request, timeout=30) as response:
            return response.geturl(), response.read().decode()

    def login(self, username, password):
        return self.post_form("/accounts/login/", {"username": username, "password": password})

    def signup(self, username, password):
        return self.post_form("/accounts/signup/", {
            "username": username, "password1": password, "password2": password,
        })


def signed_up(split, username, password="a long pass phrase"):
    """A Browser holding the session of a user just created through /accounts/signup/."""
    browser = Browser(split.url)
    browser.signup(username, password)
    assert browser.cookie("sessionid"), "sign-up did not log %s in" % username
    return browser


def logged_in(split, username, password):
    """A Browser holding the session of an existing user, logged in through /accounts/login/."""
    browser = Browser(split.url)
    browser.login(username, password)
    assert browser.cookie("sessionid"), "logging in as %s failed" % username
    return browser
