"""Who is on the socket: ``message.user`` as channels.auth's decorators set it.

``channel_session_user_from_http`` (on connect) reads Django's ``sessionid``
cookie from the WebSocket handshake and copies the logged-in user's id,
backend and password hash from the HTTP session into the socket's
channel_session; ``channel_session_user`` (on receive and disconnect) turns
them back into ``message.user``. No cookie, or a cookie of a logged-out
session, gives ``AnonymousUser``.

``channel_session_user`` rebuilds the user with ``django.contrib.auth.get_user``,
which *flushes* the session when the user's password hash no longer matches
the one stored at login. On a socket that session is the channel_session, so
a password change wipes the socket's room, letter and ``enforce_ordering``
counter; ``session_intact`` turns that into a clear "reconnect" instead of a
KeyError in the worker.
"""
import functools

from django.conf import settings

from channels_example.client_errors import ClientError


def username_of(user):
    """The name shown in chat frames; anonymous users are all "anonymous"."""
    return user.username if user.is_authenticated else "anonymous"


def is_active_staff(user):
    """May push to others and change live values: an active staff account."""
    return user.is_authenticated and user.is_active and user.is_staff


def login_required(consumer):
    """Refuse ``consumer`` to anonymous users with ClientError("login-required").

    Goes inside a ``channel_session_user*`` decorator (which sets
    ``message.user``) and inside ``reports_client_errors`` (which answers the
    JSON error and closes with 4201). On receive it also catches a user
    deactivated or deleted since the socket connected.
    """

    @functools.wraps(consumer)
    def inner(message, *args, **kwargs):
        if not message.user.is_authenticated:
            raise ClientError(
                "login-required",
                "this endpoint is per user: log in at %s first, then open the "
                "WebSocket with the sessionid cookie" % settings.LOGIN_URL,
            )
        return consumer(message, *args, **kwargs)

    return inner


def session_intact(consumer):
    """Refuse a frame whose channel_session get_user has just flushed (close 4202).

    Goes inside ``channel_session_user`` and ``reports_client_errors``. A
    flushed session has no key; nothing the socket stored on connect is left,
    so the client must open a new socket (and log in again).
    """

    @functools.wraps(consumer)
    def inner(message, *args, **kwargs):
        if message.channel_session.session_key is None:
            raise ClientError(
                "session-ended",
                "your login changed since this socket connected (was the password "
                "changed?): open a new socket",
            )
        return consumer(message, *args, **kwargs)

    return inner
