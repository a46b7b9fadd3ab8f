"""Token authentication for WebSocket consumers (a decorator, like the session-auth ones).

A browser cannot set headers on a WebSocket, so the token travels in the
URL: ``ws://HOST/path/?token=<jwt>``. Daphne 1.4 does not put the query
string in ``path``; it passes it raw (bytes, still percent-encoded) as the
connect message's ``query_string``, which is where this module reads it.

``@channel_session_user_from_token`` is the token twin of Channels'
``@channel_session_user_from_http``. On ``websocket.connect`` it validates the
token once and writes the user into the socket's ``channel_session`` the way
``channels.auth.transfer_user`` copies a logged-in HTTP session. Receive and
disconnect consumers then use the stock ``@channel_session_user`` and get
``message.user`` without seeing or checking the token again.

A refused token is answered, not dropped: the decorator reports the
``ClientError`` (accept, ``{"error", "detail"}``, close 43xx), because a close
sent before the accept reaches the browser only as an HTTP 403. The refusal
is logged at WARNING with its cause and path, never with the token.
"""
import functools
import logging

from channels.auth import channel_session_user_from_http
from channels.sessions import channel_session
from django.conf import settings
from django.contrib import auth

from channels_kit.client_errors import ClientError, reports_client_errors
from channels_kit.frames import query_params
from channels_kit.jwt import tokens as jwt_tokens

logger = logging.getLogger(__name__)


def token_of(message):
    """The one ``token`` parameter; two of them are refused, not guessed between."""
    values = query_params(message).get("token", [])
    if not values or not values[0]:
        raise ClientError("token-missing", "No token in the query string (?token=...).")
    if len(values) > 1:
        raise ClientError("token-malformed", "More than one token in the query string.")
    return values[0]


def authenticated_user(message):
    """The active user named by the connect message's token, or ClientError."""
    try:
        return jwt_tokens.authenticate(token_of(message))
    except ClientError as error:
        client = message.content.get("client")
        logger.warning(
            "token refused on %s from %s: %s (%s)", message.content.get("path"),
            "%s:%s" % tuple(client) if client else "?", error.error, error.detail,
        )
        raise


def keep_user(channel_session, user):
    """Log ``user`` into the socket's channel_session, as transfer_user would.

    The session auth hash lets ``channel_session_user`` drop the user if their
    password changes while the socket is open, like an HTTP session.
    """
    channel_session[auth.SESSION_KEY] = user._meta.pk.value_to_string(user)
    channel_session[auth.BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    channel_session[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()


def channel_session_user_from_token(consumer):
    """Authenticate a websocket.connect consumer by ``?token=``; report refusals.

    The consumer runs only for a valid token, with ``message.user`` set and
    the user kept in ``message.channel_session``.
    """
    @channel_session
    @reports_client_errors
    @functools.wraps(consumer)
    def inner(message, *args, **kwargs):
        message.user = authenticated_user(message)
        keep_user(message.channel_session, message.user)
        return consumer(message, *args, **kwargs)

    return inner


def token_or(fallback):
    """Token auth when the URL has a ``token`` parameter, else ``fallback``.

    ``fallback`` is another connect decorator, e.g. Channels'
    ``channel_session_user_from_http``. A present but bad token is refused
    even if the fallback would have let the socket in: the client asked to be
    the token's user, and quietly using another identity would hide the error.
    """
    def decorator(consumer):
        by_token = channel_session_user_from_token(consumer)
        by_fallback = fallback(consumer)

        @functools.wraps(consumer)
        def inner(message, *args, **kwargs):
            chosen = by_token if "token" in query_params(message) else by_fallback
            return chosen(message, *args, **kwargs)

        return inner

    return decorator


# The rooms' connect decorator: a token, or the session cookie as before.
channel_session_user_from_token_or_http = token_or(channel_session_user_from_http)


class TokenAuthMixin:
    """Token auth for a class-based ``WebsocketConsumer``.

    Authenticating inside ``connect()`` itself is the naive form; this does it one step
    earlier, in ``raw_connect``, so a refused socket never joins the class's
    ``connection_groups``. ``connect()``, ``receive()`` and ``disconnect()``
    all see ``message.user``, restored from the channel session after connect.
    Put it before the consumer class: ``class C(TokenAuthMixin, WebsocketConsumer)``.
    """

    channel_session_user = True

    def raw_connect(self, message, **kwargs):
        return channel_session_user_from_token(super().raw_connect)(message, **kwargs)
