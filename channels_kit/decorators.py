"""The decorator stacks of an ordered, session-keeping socket, and who may use it.

A consumer that keeps state in its channel_session needs the same stack on
every handler, in the same order; getting the order wrong lets two workers
run one socket's frames at once, or leaves every frame waiting for an order
counter that only an ordered connect starts. ``ordered_connect`` and
``ordered_receive`` are that stack, written once. The refusals
(``login_required``, ``staff_required``, ``session_intact``) go inside them:

    @ordered_connect(channel_session_user_from_http)
    @login_required
    def connect(message): ...

    @ordered_receive
    @login_required
    def receive(message): ...

``channel_session_user`` rebuilds the user with ``django.contrib.auth.get_user``,
which *flushes* the session when the user's password hash no longer matches
the one stored at login. On a socket that session is the channel_session, so
a password change wipes everything the socket stored on connect, its
``enforce_ordering`` counter included; ``session_intact`` turns that into a
clear "reconnect" instead of a KeyError in the worker.
"""
import functools

from channels.auth import channel_session_user
from channels.sessions import enforce_ordering
from django.conf import settings

from channels_kit.client_errors import ClientError, reports_client_errors
from channels_kit.origin import same_origin_only


def is_active_staff(user):
    """An active staff account: may push to others, change live values, open staff tools."""
    return user.is_authenticated and user.is_active and user.is_staff


def _refuses(check):
    """A decorator that runs ``check(message)`` (which may raise ClientError) before the consumer."""
    def decorator(consumer):
        @functools.wraps(consumer)
        def inner(message, *args, **kwargs):
            check(message)
            return consumer(message, *args, **kwargs)
        return inner
    decorator.__doc__ = check.__doc__
    return decorator


def _check_logged_in(message):
    """Refuse anonymous users with ClientError("login-required"), close 4201.

    On receive it also catches a user deactivated or deleted since the
    socket connected.
    """
    if not message.user.is_authenticated:
        raise ClientError(
            "login-required",
            "this endpoint is per user: log in at %s first, then open the "
            "WebSocket with the sessionid cookie" % settings.LOGIN_URL,
        )


def _check_staff(message):
    """Refuse anonymous users (4201) and logged-in users who are not active staff (4203)."""
    _check_logged_in(message)
    if not is_active_staff(message.user):
        raise ClientError("staff-required", "this endpoint is for staff accounts only")


def _check_session_intact(message):
    """Refuse a frame whose channel_session get_user has just flushed (close 4202).

    A flushed session has no key; nothing the socket stored on connect is
    left, so the client must open a new socket (and log in again).
    """
    if message.channel_session.session_key is None:
        raise ClientError(
            "session-ended",
            "your login changed since this socket connected (was the password "
            "changed?): open a new socket",
        )


login_required = _refuses(_check_logged_in)
staff_required = _refuses(_check_staff)
session_intact = _refuses(_check_session_intact)


def ordered_connect(authenticate):
    """The connect stack, outermost first.

    1. ``same_origin_only``: an Origin other than the site's own (scheme,
       host and port) or none gets HTTP 403 (channels_kit.origin).
    2. ``enforce_ordering``: connect is the socket's message 0; every later
       message waits in a wait channel until it has run, on any worker.
    3. ``authenticate``: ``channel_session_user_from_http`` or a token
       decorator; sets ``message.user`` and fills the channel_session.
    4. ``reports_client_errors``: a ClientError raised below becomes the
       JSON error frame and close code; the ordering counter still advances.
    """
    def decorator(consumer):
        return same_origin_only(enforce_ordering(authenticate(reports_client_errors(consumer))))
    return decorator


def ordered_receive(consumer):
    """The receive stack, outermost first.

    1. ``enforce_ordering``: runs only after every earlier message of the socket.
    2. ``channel_session_user``: ``message.user`` back from the channel_session.
    3. ``reports_client_errors``: a ClientError becomes a frame, not a traceback.
    4. ``session_intact``: refuses a frame whose session a password change wiped.
    """
    return enforce_ordering(channel_session_user(reports_client_errors(session_intact(consumer))))

