"""JSON Web Tokens that django-rest-framework-jwt deployments already have.

A WebSocket cannot carry an ``Authorization`` header from a browser, so a
token-based site hands its token to the socket some other way and
the worker validates it on ``websocket.connect``. This module is the
validating half, plus issuing and refreshing for the HTTP endpoints.

It speaks drf-jwt's dialect without depending on Django REST framework: the
same ``JWT_AUTH`` settings keys and defaults, the same payload
(``user_id``, ``username``, ``exp``, ``orig_iat``, ``email``), the same
signing, so tokens issued by a legacy drf-jwt site keep working here and
the other way round. What it does not take over are drf-jwt's knobs that
weaken validation: the algorithm list is pinned to the one configured
algorithm (``alg: none`` is never accepted), ``exp`` is always required, and
``JWT_VERIFY = False`` is refused outright.

Failures raise ``ClientError`` with one name per cause (see ``CLOSE_CODES``)
and a detail that says what is wrong with this token, so both the WebSocket
and the HTTP side can tell the client why. Where drf-jwt's message already
says that ("Signature has expired."), it is kept word for word, since legacy
clients compare it; its catch-all "Error decoding signature." is not, as it
named the signature for tokens that were simply not JWTs.
"""
import datetime
import time

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from channels_kit.client_errors import ClientError

# drf-jwt's defaults for the keys this module reads. JWT_SECRET_KEY falls
# back to SECRET_KEY at call time, as in drf-jwt.
DEFAULTS = {
    "JWT_SECRET_KEY": None,
    "JWT_PRIVATE_KEY": None,
    "JWT_PUBLIC_KEY": None,
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY": True,
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_LEEWAY": 0,
    "JWT_EXPIRATION_DELTA": datetime.timedelta(seconds=300),
    "JWT_AUDIENCE": None,
    "JWT_ISSUER": None,
    "JWT_ALLOW_REFRESH": False,
    "JWT_REFRESH_EXPIRATION_DELTA": datetime.timedelta(days=7),
}

# A real token for this payload is a few hundred bytes. Anything much longer
# is refused before any base64 or JSON decoding is spent on it.
MAX_TOKEN_LENGTH = 4096


def jwt_settings():
    """drf-jwt's defaults overlaid with ``settings.JWT_AUTH``, read on every call
    so ``override_settings`` works in tests."""
    config = dict(DEFAULTS, **getattr(settings, "JWT_AUTH", {}))
    if config["JWT_SECRET_KEY"] is None:
        config["JWT_SECRET_KEY"] = settings.SECRET_KEY
    if not config["JWT_VERIFY"]:
        raise ImproperlyConfigured("JWT_VERIFY = False would accept forged tokens; it is not supported")
    if config["JWT_ALGORITHM"].lower() == "none":
        raise ImproperlyConfigured("JWT_ALGORITHM 'none' would accept unsigned tokens")
    return config


def now_timestamp():
    """Whole seconds since the epoch, drf-jwt's unit for ``orig_iat``."""
    return int(time.time())


def payload_for(user, orig_iat=None):
    """The claims drf-jwt's ``jwt_payload_handler`` puts in a token."""
    config = jwt_settings()
    payload = {
        "user_id": user.pk if isinstance(user.pk, int) else str(user.pk),
        "username": user.get_username(),
        "exp": now_timestamp() + int(config["JWT_EXPIRATION_DELTA"].total_seconds()),
    }
    if hasattr(user, "email"):
        payload["email"] = user.email
    if orig_iat is None and config["JWT_ALLOW_REFRESH"]:
        orig_iat = now_timestamp()
    if orig_iat is not None:
        payload["orig_iat"] = orig_iat
    if config["JWT_AUDIENCE"] is not None:
        payload["aud"] = config["JWT_AUDIENCE"]
    if config["JWT_ISSUER"] is not None:
        payload["iss"] = config["JWT_ISSUER"]
    return payload


def encode(payload):
    config = jwt_settings()
    key = config["JWT_PRIVATE_KEY"] or config["JWT_SECRET_KEY"]
    return jwt.encode(payload, key, algorithm=config["JWT_ALGORITHM"])


def token_for(user):
    """A fresh token for ``user``, what ``POST /api-token-auth/`` returns."""
    return encode(payload_for(user))


def decode(token):
    """The verified payload of ``token``, or ClientError naming what is wrong."""
    config = jwt_settings()
    if not isinstance(token, str) or not token:
        raise ClientError("token-missing", "No token in the query string (?token=...).")
    if len(token) > MAX_TOKEN_LENGTH:
        raise ClientError("token-malformed", "Token longer than %d characters." % MAX_TOKEN_LENGTH)
    try:
        return jwt.decode(
            token,
            config["JWT_PUBLIC_KEY"] or config["JWT_SECRET_KEY"],
            algorithms=[config["JWT_ALGORITHM"]],
            options={
                "require": ["exp"],
                "verify_exp": config["JWT_VERIFY_EXPIRATION"],
                "verify_aud": config["JWT_AUDIENCE"] is not None,
            },
            leeway=config["JWT_LEEWAY"],
            audience=config["JWT_AUDIENCE"],
            issuer=config["JWT_ISSUER"],
        )
    except jwt.ExpiredSignatureError:
        raise ClientError("token-expired", "Signature has expired.")
    except jwt.InvalidAlgorithmError:
        raise ClientError("token-bad-signature", "Token signed with an algorithm this server "
                          "does not accept (it accepts %s only)." % config["JWT_ALGORITHM"])
    except jwt.InvalidSignatureError:
        raise ClientError("token-bad-signature", "Signature does not match: signed with "
                          "another key, or changed after signing.")
    except jwt.InvalidAudienceError:
        raise ClientError("token-invalid-claim", "Token audience (aud) is not this server's.")
    except jwt.InvalidIssuerError:
        raise ClientError("token-invalid-claim", "Token issuer (iss) is not this server's.")
    except jwt.ImmatureSignatureError:
        raise ClientError("token-invalid-claim", "Token not valid yet (nbf is in the future).")
    except jwt.MissingRequiredClaimError as error:
        if error.claim in ("aud", "iss"):
            raise ClientError("token-invalid-claim", "Token has no %s claim." % error.claim)
        raise ClientError("token-malformed", "Token has no %s claim." % error.claim)
    except jwt.InvalidTokenError as error:
        # DecodeError: not three base64url parts, not JSON, a non-numeric exp, ...
        raise ClientError("token-malformed", "Not a well-formed JWT: %s." % reason(error))


def reason(error):
    """PyJWT's message as the tail of a sentence: "Not enough segments" -> "not enough segments"."""
    text = str(error).rstrip(".") or type(error).__name__
    return text[0].lower() + text[1:]


def user_for(payload):
    """The active user a verified payload names, looked up by natural key."""
    username = payload.get("username")
    if not isinstance(username, str) or not username:
        raise ClientError("token-malformed", "Token has no username claim.")
    User = get_user_model()
    try:
        user = User.objects.get_by_natural_key(username)
    except User.DoesNotExist:
        raise ClientError("token-unknown-user", "User doesn't exist.")
    if not user.is_active:
        raise ClientError("token-inactive-user", "User account is disabled.")
    return user


def authenticate(token):
    """Validate ``token`` and return its user; ClientError on any failure."""
    return user_for(decode(token))


def refreshed(token):
    """A new token for a still valid ``token``, keeping its ``orig_iat``.

    As in drf-jwt: an expired token cannot be refreshed, and refreshing stops
    ``JWT_REFRESH_EXPIRATION_DELTA`` after the original login however often
    the token was refreshed in between.
    """
    payload = decode(token)
    user = user_for(payload)
    orig_iat = payload.get("orig_iat")
    if not isinstance(orig_iat, int):
        raise ClientError("token-malformed", "orig_iat field is required.")
    limit = jwt_settings()["JWT_REFRESH_EXPIRATION_DELTA"].total_seconds()
    if now_timestamp() > orig_iat + limit:
        raise ClientError("token-expired", "Refresh has expired.")
    return encode(payload_for(user, orig_iat=orig_iat))
