"""Account forms: a failing mail server does not tell registered addresses apart."""
import smtplib

from django.contrib.auth.models import User
from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_refused_mail_answers_as_for_an_unknown_address(client, settings, db, caplog):
    settings.EMAIL_BACKEND = "tests.test_accounts_unit.RefusingBackend"
    User.objects.create_user("known", email="known@example.com", password="a long pass phrase 9")
    known = client.post("/accounts/password_reset/", {"email": "known@example.com"})
    unknown = client.post("/accounts/password_reset/", {"email": "unknown@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    assert "password reset mail not sent" in caplog.text and "known@example.com" not in caplog.text
