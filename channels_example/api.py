"""HTTP API: ``POST /api/push/`` lets staff push to a room or a user.

Authentication is Django's session (log in at /accounts/login/), and CSRF
protection stays on because a session cookie is an ambient credential. The
permission check is the separate ``staff_only`` decorator so another way of
setting ``request.user`` (a bearer-token decorator placed outside it) can be
added without touching the view.
"""
import functools

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views import csrf
from django.views.decorators.http import require_POST

from channels_example.push import push_to_room, push_to_user
from channels_kit.http import json_bodies
from channels_kit.client_errors import ClientError
from channels_kit.publish import LayerUnreachable
from channels_kit.decorators import is_active_staff


def error(status, name, detail):
    return JsonResponse({"error": name, "detail": detail}, status=status)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a refused API call gets a JSON error like any other; pages keep Django's."""
    if request.path.startswith("/api/"):
        return error(403, "csrf-failed", "send the csrftoken cookie's value in X-CSRFToken (%s)"
                     % reason)
    return csrf.csrf_failure(request, reason)


def staff_only(view):
    """Answer 403 with a JSON error unless the request's user is active staff."""

    @functools.wraps(view)
    def inner(request, *args, **kwargs):
        if not is_active_staff(request.user):
            return error(403, "staff-only", "log in as a staff user to push")
        return view(request, *args, **kwargs)

    return inner


def push_request(body):
    """``(target, name, text)`` from a ``{"room"|"user": ..., "text": ...}`` body.

    Raises ValueError, with the reason for the client, for anything else;
    the text itself is checked where every push is (``push.checked_text``).
    """
    payload = json_bodies.json_object(body)  # BadJSON is a ValueError, with its reason
    targets = [key for key in ("room", "user") if key in payload]
    if len(targets) != 1 or not isinstance(payload[targets[0]], str):
        raise ValueError('give exactly one of "room" or "user", as a string')
    return targets[0], payload[targets[0]], payload.get("text")


@require_POST
@staff_only
def push(request):
    try:
        target, name, text = push_request(request.body)
    except ValueError as bad:
        return error(400, "invalid-push", str(bad))
    try:
        if target == "room":
            push_to_room(name, text, user=request.user.username)
        else:
            push_to_user(name, text, user=request.user.username)
    except ClientError as refused:
        return error(400, refused.error, refused.detail)
    except get_user_model().DoesNotExist:
        return error(400, "invalid-push", "no user named %r" % name)
    except LayerUnreachable as down:
        return error(503, "layer-unreachable", str(down))
    return JsonResponse({"pushed": {target: name}})
