"""HTTP pages. The WebSocket side lives in consumers/ and routing.py.

Most pages are served on the same path as the WebSocket they talk to
(``/chat/<room>/``, ``/letters/``, ...): daphne hands a plain GET to Django as
an ``http.request`` message and an Upgrade request to the consumers, so one
URL is both the page and its socket.
"""
from django.conf import settings
from django.contrib.auth import login
from django.shortcuts import redirect, render

from channels_example.accounts import SignupForm
from channels_example.staff_pages import staff_page
from channels_kit.decorators import is_active_staff
from channels_kit.inspector import message_keys


def index(request):
    return render(request, "index.html")


def signup(request):
    """Create an account (Django's UserCreationForm, minus look-alike names) and log the new user in.

    Logging in sets the ``sessionid`` cookie, which is what the WebSocket
    handshake carries to ``channel_session_user_from_http``.
    """
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "registration/signup.html", {"form": form})


def echo_test(request):
    return render(request, "pages/echo_test.html")


def render_feed(request, title, socket_path, lead, frame_format="json", catch_up=False,
                presence=False):
    """A chat-like page: message list, input, connection state (feed.js).

    ``catch_up``: the socket keeps a history (rooms), which the page shows
    on load and catches up on after a reconnect. ``presence``: the socket
    says who is there (rooms, with ``?presence``), which the page lists.
    """
    return render(request, "pages/feed.html", {
        "title": title, "socket_path": socket_path, "lead": lead, "format": frame_format,
        "catch_up": catch_up, "presence": presence,
    })


def global_chat(request):
    return render_feed(request, "Global chat", "/chat/",
                "Everyone on /chat/ is in one Group; each line comes back as [user] text.",
                frame_format="plain")


def room(request, room):
    return render_feed(request, "Room %s" % room, "/chat/%s/" % room,
                "Everyone on this page is in Group(\"room-%s\"). Open it in a second tab: it "
                "shows what the room said last, and catches up after a reconnect." % room,
                catch_up=True, presence=True)


def bad_room(request, room):
    """A room URL the name rule refuses: say why, with the room form, as a 404.

    Without this, Django's own 404 (under DEBUG, its yellow debug page) is all
    a mistyped or hand-edited room link would show.
    """
    return render(request, "pages/bad_room.html", {"room": room}, status=404)


def letters(request):
    return render_feed(request, "Letters", "/letters/",
                "Logged-in users chat with everyone whose username starts with the same letter.")


def notifications(request):
    return render_feed(request, "Notifications", "/notifications/",
                "All of your own sockets share one Group: what you send here shows in all your tabs.")


def jwt(request):
    return render(request, "pages/jwt.html")


def live(request):
    """Everyone watches; only active staff get a working Save form (the
    consumer refuses the others' changes anyway, with ``not-allowed``)."""
    return render(request, "pages/live.html", {"can_save": is_active_staff(request.user)})


def progress(request):
    return render(request, "pages/progress.html")


def console(request):
    return render(request, "pages/console.html")


@staff_page("The inspector shows every message that crosses the channel layer.")
def inspector(request):
    """The channel-layer inspector's page; its socket refuses everyone but staff too."""
    return render(request, "pages/inspector.html", {"message_keys": message_keys.CARD})
