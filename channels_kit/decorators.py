"""Who may use a socket: refusals a consumer states as decorators.

Each goes inside a ``channel_session_user*`` decorator (which sets
``message.user``) and inside ``reports_client_errors`` (which answers the
JSON error frame and closes with the error's code):

    @enforce_ordering
    @channel_session_user_from_http
    @reports_client_errors
    @login_required
    def connect(message): ...

``channel_session_user`` rebuilds the user with ``django.contrib.auth.get_user``,
which *flushes* the session when the user's password hash no longer matches
the one stored at login. On a socket that session is the channel_session, so
a password change wipes everything the socket stored on connect, its
``enforce_ordering`` counter included; ``session_intact`` turns that into a
clear "reconnect" instead of a KeyError in the worker.
"""
import functools

from django.conf import settings

from channels_kit.client_errors import ClientError


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
