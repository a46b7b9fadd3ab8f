"""Password reset through the real split: the same answer for any address, and the mail in the log.

Before, a registered address got a 500 (no mail backend: Django tried SMTP
on port 25) and an unknown one a 302, which told an attacker who has an
account.
"""
import os
import time
import uuid

from tests.support.browser import Browser


def reset(split, email):
    """(final URL, page) after asking for a reset of ``email`` through the form."""
    return Browser(split.url).post_form("/accounts/password_reset/", {"email": email})


def test_known_and_unknown_addresses_get_the_same_answer(split):
    username = "reset_%s" % uuid.uuid4().hex[:6]
    email = "%s@example.com" % username
    split.manage("shell", "-c", "from django.contrib.auth.models import User; "
                 "User.objects.create_user(%r, email=%r, password='a long pass phrase 9')"
                 % (username, email))
    marks = {w.log_path: os.path.getsize(w.log_path) for w in split.workers}
    known_url, known_page = reset(split, email)
    unknown_url, unknown_page = reset(split, "nobody_%s@example.com" % uuid.uuid4().hex[:6])
    assert known_url == unknown_url == split.url + "/accounts/password_reset/done/"
    assert known_page == unknown_page

    def mail_logged():
        for path, start in marks.items():
            with open(path, errors="replace") as f:
                f.seek(start)
                if "To: %s" % email in f.read():
                    return True
        return False

    deadline = time.monotonic() + 20
    while not mail_logged():
        assert time.monotonic() < deadline, "the reset mail never reached a worker's log"
        time.sleep(0.2)
