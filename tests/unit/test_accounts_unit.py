"""Account forms: no look-alike usernames; a failing mail server does not tell registered addresses apart."""
import smtplib

import pytest

from django.contrib.auth.models import User
from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_refused_mail_answers_as_for_an_unknown_address(client, settings, db, caplog):
    settings.EMAIL_BACKEND = "tests.unit.test_accounts_unit.RefusingBackend"
    User.objects.create_user("known", email="known@example.com", password="a long pass phrase 9")
    known = client.post("/accounts/password_reset/", {"email": "known@example.com"})
    unknown = client.post("/accounts/password_reset/", {"email": "unknown@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    # Django 5.2's own form catches the failure and logs it (by user id) before ours can.
    logged = "password reset mail not sent" in caplog.text \
        or "Failed to send password reset email" in caplog.text
    assert logged and "known@example.com" not in caplog.text


def signup(client, username):
    return client.post("/accounts/signup/", {"username": username, "password1": "a long pass phrase",
                                             "password2": "a long pass phrase"})


@pytest.mark.parametrize("look_alike", [
    "ALICE", "Alice", "\u0430lice",              # Cyrillic а, mixed with Latin
    "\u0430\u0441\u0435",                       # all Cyrillic, drawn like "ace"
    "\uff41lice",                               # fullwidth a
    "ali\u0301ce", "\u00e1lice",                # an accent
])
def test_look_alike_usernames_are_refused(client, db, look_alike):
    User.objects.create_user("alice")
    User.objects.create_user("ace")
    response = signup(client, look_alike)
    assert response.status_code == 200  # the form again, with the reason
    assert not User.objects.filter(username=look_alike).exists()
    assert User.objects.count() == 2


def test_different_names_and_single_script_names_are_welcome(client, db):
    User.objects.create_user("alice")
    for name in ("alicia", "\u00c9mile", "\u0410\u043d\u043d\u0430", "\u30a2\u30ea\u30b9\u5b50"):
        assert signup(client, name).status_code == 302, name
        client.logout()
    assert User.objects.count() == 5


def test_a_staff_user_can_be_made_without_a_prompt(db, monkeypatch):
    """The README's scripted createsuperuser: DJANGO_SUPERUSER_* and --noinput."""
    from django.core.management import call_command
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "scripted")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "scripted@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long scripted password")
    call_command("createsuperuser", "--noinput", stdout=open("/dev/null", "w"))
    user = User.objects.get(username="scripted")
    assert user.is_staff and user.is_superuser
    assert user.check_password("a long scripted password")
