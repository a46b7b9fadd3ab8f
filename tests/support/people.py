"""People at the pages: accounts made the way a visitor makes them, and their first steps.

Each person is a browser context (its own cookie jar; the ``person`` fixture
in conftest.py makes them), logged in through the login page or signed up
through the sign-up form, as they would by hand.
"""
import re
import uuid

from tests.support.browser import Browser
from tests.support.pages import expect

PASSWORD = "a long pass phrase"
# A JSON Web Token: three base64url parts.
JWT = re.compile(r"^[\w-]+\.[\w-]+\.[\w-]+$")


def new_name(prefix):
    return "%s_%s" % (prefix, uuid.uuid4().hex[:6])


def account(split, prefix):
    """A new username whose account exists (created through /accounts/signup/)."""
    username = new_name(prefix)
    Browser(split.url).signup(username, PASSWORD)
    return username


def visit(context, path):
    page = context.new_page()
    page.on("websocket", lambda socket: context.sockets.append(socket.url))
    response = page.goto(path)
    assert response.status == 200, "%s answered %s" % (path, response.status)
    return page


def log_in(context, username, then):
    """Log in through the login page and land on ``then``, signed in."""
    page = visit(context, "/accounts/login/?next=" + then)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**" + then)
    expect(page.locator("#username")).to_have_text(username)
    return page


def staff_account(split, prefix, superuser=False):
    """A staff user made the scripted way (``createsuperuser`` is the interactive one,
    and makes a superuser: staff who may also edit every model in the admin)."""
    username = "%s_%s" % (prefix, uuid.uuid4().hex[:6])
    split.manage("shell", "-c", (
        "from django.contrib.auth.models import User; "
        "User.objects.create_user(%r, password=%r, is_staff=True, is_superuser=%r)"
        % (username, PASSWORD, superuser)))
    return username
