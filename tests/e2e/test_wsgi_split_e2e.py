"""The WSGI split with real processes: nginx with deploy/'s split config in front
of gunicorn (started as channels-wsgi.service starts it) and a real split
(redis-server, daphne, two runworkers).

A user sees pages answered by the WSGI server, rooms that work through nginx,
and a push made over plain HTTP, in a gunicorn process, reach a room's sockets.
nginx and gunicorn run on free 127.0.0.1 ports; the deploy files are rendered
to them, and every rendering step must find what it replaces.
"""
import os
import re
import shlex
import shutil
import sys
import uuid

import pytest
import websocket

from channels_kit.testing.split import Process, free_port, port_open, wait_for
from tests.conftest import require_tool
from tests.support.browser import Browser
from tests.support.paths import ARTIFACTS, ROOT
from tests.support.splits import running_split
from tests.support.wire import recv_json
from tests.unit.test_deploy_files_unit import read, unit


PASSWORD = "e2e-pass-123"
START_TIMEOUT = 60


def replaced(text, old, new):
    """``text`` with ``old`` replaced, once: the deploy file must still hold it."""
    assert text.count(old) == 1, "deploy file no longer holds %r once" % old
    return text.replace(old, new)


def gunicorn_command(port):
    """channels-wsgi.service's ExecStart, on this venv's gunicorn and ``port``, two workers."""
    argv = shlex.split(unit("channels-wsgi.service")["Service"]["ExecStart"])
    argv[0] = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    argv[argv.index("--bind") + 1] = "127.0.0.1:%d" % port
    argv[argv.index("--workers") + 1] = "2"  # the CI machine has two cores
    return shlex.join(argv)


def nginx_site(port, daphne_port, wsgi_port):
    """nginx-channels_example-wsgi.conf on plain HTTP at ``port``, proxying to this test's servers."""
    site = read("nginx-channels_example-wsgi.conf")
    site = replaced(site, "server 127.0.0.1:8000;", "server 127.0.0.1:%d;" % daphne_port)
    site = replaced(site, "server 127.0.0.1:8001;", "server 127.0.0.1:%d;" % wsgi_port)
    redirect = re.search(r"server \{\s*listen 80;[^}]*\}", site)
    assert redirect, "the port-80 redirect server is gone"
    site = site.replace(redirect.group(0), "")
    site = replaced(site, "listen 443 ssl;", "listen 127.0.0.1:%d;" % port)
    site = re.sub(r"\n\s*ssl_certificate(_key)? [^;]*;[^\n]*", "", site)
    return replaced(site, "alias /srv/channels_example/static/;",
                    "alias %s/;" % os.path.join(ROOT, "channels_example", "static"))


def nginx_main(prefix):
    """A main config of the test's own: its files under ``prefix``, the site included."""
    temp = " ".join("%s_temp_path %s/%s;" % (kind, prefix, kind)
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return ("%sdaemon off; worker_processes 1; pid %s/nginx.pid; error_log %s/error.log;\n"
            "events { worker_connections 256; }\n"
            "http { access_log %s/access.log; %s include %s/site.conf; }\n"
            % ("user root; " if os.geteuid() == 0 else "", prefix, prefix, prefix, temp, prefix))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    nginx = require_tool("nginx", shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin"),
                         "./run-tests installs it as root (scripts/test_tools.sh)")
    files = tmp_path_factory.mktemp("wsgi-split")
    port, wsgi_port = free_port(), free_port()
    # TLS ends at nginx in production and the env file trusts the public
    # origin; here the public origin is nginx's plain-HTTP address.
    env = {"WS_TRUSTED_ORIGINS": "http://127.0.0.1:%d" % port}
    with running_split("wsgi-split", files, env=env) as split:
        logs = os.path.join(ARTIFACTS, "logs", "wsgi-split")
        wsgi = Process("wsgi", gunicorn_command(wsgi_port), split.env,
                       os.path.join(logs, "wsgi.log"), ROOT)
        (files / "site.conf").write_text(nginx_site(port, split.port, wsgi_port))
        (files / "nginx.conf").write_text(nginx_main(files))
        command = "%s -e %s/error.log -p %s -c %s/nginx.conf" % (nginx, files, files, files)
        proxy = Process("nginx", command, split.env, os.path.join(logs, "nginx.log"), ROOT)
        try:
            for process, listens_on in ((wsgi, wsgi_port), (proxy, port)):
                process.start()
                wait_for(lambda: port_open(listens_on) or not process.alive(),
                         START_TIMEOUT, process.name)
                assert process.alive(), "%s exited:\n%s" % (process.name, process.log())
            yield Site(split, wsgi, "http://127.0.0.1:%d" % port)
        finally:
            proxy.stop()
            wsgi.stop()


class Site:
    def __init__(self, split, wsgi, url):
        self.split, self.wsgi, self.url = split, wsgi, url
        self.ws_url = "ws://" + url[len("http://"):]

    def socket(self, path):
        return websocket.create_connection(self.ws_url + path, timeout=10, origin=self.url)

    def served_by_wsgi(self, request_line):
        """Wait until gunicorn's access log shows ``request_line`` answered; return the status."""
        pattern = re.compile(r'"%s HTTP/1\.[01]" (\d{3}) ' % re.escape(request_line))
        wait_for(lambda: pattern.search(self.wsgi.log()), 10, "%r in the WSGI access log" % request_line)
        return int(pattern.search(self.wsgi.log()).group(1))


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


@pytest.mark.parametrize("path", ["/", "/chat/%s/" % unique("page")])
def test_pages_are_answered_by_the_wsgi_server_through_nginx(site, path):
    probed = "%s?probe=%s" % (path, unique("probe"))
    page = Browser(site.url).get(probed)
    assert "<html" in page.lower()
    assert site.served_by_wsgi("GET " + probed) == 200


def test_static_files_come_from_nginx(site):
    css = Browser(site.url).get("/static/channels_example/site.css")
    with open(os.path.join(ROOT, "channels_example", "static", "channels_example", "site.css")) as f:
        assert css == f.read()


def test_a_room_works_through_nginx(site):
    room = unique("room")
    sender, member = site.socket("/chat/%s/" % room), site.socket("/chat/%s/" % room)
    try:
        sender.send('{"text": "through nginx"}')
        for sock in (sender, member):
            frame = recv_json(sock)
            assert (frame["room"], frame["text"]) == (room, "through nginx")
    finally:
        sender.close()
        member.close()


def test_a_handshake_off_the_websocket_routes_gets_djangos_404_from_wsgi(site):
    path = "/%s/" % unique("nowhere")
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        site.socket(path)
    assert refused.value.status_code == 404
    assert site.served_by_wsgi("GET " + path) == 404


def test_a_push_over_http_served_by_wsgi_reaches_a_room_socket(site):
    staff = unique("staff")
    site.split.manage("shell", "-c", "from django.contrib.auth.models import User; "
                      "User.objects.create_user(%r, password=%r, is_staff=True)" % (staff, PASSWORD))
    room = unique("announce")
    member = site.socket("/chat/%s/" % room)
    try:
        browser = Browser(site.url)
        browser.login(staff, PASSWORD)
        assert browser.cookie("sessionid"), "logging in through nginx failed"
        status, body = browser.post_json("/api/push/", {"room": room, "text": "from WSGI"})
        assert (status, body) == (200, {"pushed": {"room": room}})
        assert site.served_by_wsgi("POST /api/push/") == 200
        frame = recv_json(member)
        assert (frame["user"], frame["text"]) == (staff, "from WSGI")
    finally:
        member.close()
