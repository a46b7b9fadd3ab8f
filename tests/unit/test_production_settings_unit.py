"""Production settings, chosen by the environment: hardened headers and cookies, and check --deploy clean.

Before, the session cookie was never Secure, there was no setting to make
it so, and no nosniff, HSTS, Referrer-Policy or CSP header was sent.
"""
import datetime
import json
import os
import re
import secrets
import subprocess
import sys

import django

from channels_kit.checks import upgrade_checks
from tests.support.paths import ROOT

# Requests through Django's test client, as a browser behind the TLS proxy makes them
# (a loop, not a comprehension: shell -c runs the code with separate globals and locals).
PROBE = """
import json
from django.conf import settings
from django.test import Client
response = Client().get("/accounts/login/", secure=True, HTTP_HOST="example.com",
                        HTTP_X_FORWARDED_PROTO="https")
plain = Client().get("/accounts/login/", HTTP_HOST="example.com")
headers = {}
for name in ("Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy",
             "Content-Security-Policy", "X-Frame-Options"):
    headers[name] = response.get(name)
print(json.dumps({
    "status": response.status_code, "plain": [plain.status_code, plain.get("Location")],
    "headers": headers,
    "csrf_cookie_secure": bool(response.cookies["csrftoken"]["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}))
"""


def production(tmp_path, *args):
    env = dict(os.environ, DJANGO_DEBUG="0", REDIS_URL="redis://127.0.0.1:6390/0",
               DJANGO_SECRET_KEY=secrets.token_urlsafe(50), JWT_SECRET_KEY=secrets.token_urlsafe(40),
               DJANGO_ALLOWED_HOSTS="example.com", RUN_ENV_FILE="",
               DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's own default, as in production
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_debug_off(tmp_path):
    result = production(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    if upgrade_checks.support_ended(django.VERSION[:2], datetime.date.today()):
        # On the Django 2.2 pins (requirements-django22.txt) the one issue is the line itself.
        assert re.findall(r"\((\w+\.\w+)\) ", result.stderr) == ["channels_kit.W023"], result.stderr
        return
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_pages_are_served_hardened(tmp_path):
    result = production(tmp_path, "shell", "-c", PROBE)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == 200
    assert seen["plain"] == [301, "https://example.com/accounts/login/"]
    headers = seen["headers"]
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert seen["csrf_cookie_secure"] and seen["session_cookie_secure"]
