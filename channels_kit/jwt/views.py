"""``POST /api-token-auth/`` and ``POST /api-token-refresh/``, drf-jwt style.

Clients written for django-rest-framework-jwt get a token the same way here,
at the same paths and with the same request and response shapes, without
Django REST framework installed:

- a form-encoded or JSON body;
- ``200 {"token": "..."}`` on success;
- ``400 {"<field>": ["This field is required."]}`` for a missing field and
  ``400 {"non_field_errors": ["..."]}`` for bad credentials or a token that
  cannot be refreshed, with drf-jwt's messages;
- ``429 {"detail": "..."}`` with ``Retry-After`` while the account or the
  address has too many failed passwords (channels_kit/http/login_throttle.py).

They are CSRF-exempt: a token API is called by scripts and single-page apps
that have no CSRF cookie, and it hands out tokens only for a password or a
valid token, neither of which a cross-site form can supply.
"""
import functools
import logging

from django.contrib.auth import authenticate
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_kit.http import json_bodies, login_throttle
from channels_kit.client_errors import ClientError
from channels_kit.jwt import tokens as jwt_tokens

logger = logging.getLogger(__name__)


class BadRequest(Exception):
    def __init__(self, errors, status=400, retry_after=None):
        super().__init__(errors)
        self.errors, self.status, self.retry_after = errors, status, retry_after


def request_data(request, *fields):
    """The named string fields of a JSON or form body; BadRequest if any is missing."""
    if request.content_type == "application/json":
        try:
            data = json_bodies.loads(request.body)
        except json_bodies.BadJSON as error:
            raise BadRequest({"detail": str(error)})
        if not isinstance(data, dict):
            raise BadRequest({"non_field_errors": ["Invalid data. Expected a dictionary."]})
    else:
        data = request.POST
    values = {field: data.get(field) for field in fields}
    missing = {f: ["This field is required."] for f, v in values.items() if not isinstance(v, str) or not v}
    if missing:
        raise BadRequest(missing)
    return values


def token_api(view):
    """POST only, no CSRF cookie needed, BadRequest turned into a 400."""
    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def inner(request):
        try:
            return JsonResponse({"token": view(request)})
        except BadRequest as error:
            response = JsonResponse(error.errors, status=error.status)
            if error.retry_after:
                response["Retry-After"] = str(error.retry_after)
            return response

    return inner


@token_api
def obtain_token(request):
    """A token for a username and password."""
    data = request_data(request, "username", "password")
    wait = login_throttle.retry_after(data["username"], login_throttle.client_address(request))
    if wait:
        logger.warning("token refused at %s: throttled for %d s", request.path, wait)
        raise BadRequest({"detail": login_throttle.message(wait)}, status=429, retry_after=wait)
    user = authenticate(request, username=data["username"], password=data["password"])
    if user is None:
        logger.warning("token refused at %s: bad credentials", request.path)
        raise BadRequest({"non_field_errors": ["Unable to log in with provided credentials."]})
    login_throttle.succeeded(data["username"])
    return jwt_tokens.token_for(user)


@token_api
def refresh_token(request):
    """A new token for a valid one, within the refresh window of the first login."""
    data = request_data(request, "token")
    try:
        return jwt_tokens.refreshed(data["token"])
    except ClientError as error:
        logger.warning("token refresh refused at %s: %s (%s)", request.path, error.error, error.detail)
        raise BadRequest({"non_field_errors": [error.detail]})
