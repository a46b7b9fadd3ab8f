"""HTTP through channels' AsgiHandler gets Django's body and field limits, as under WSGI.

Each request goes twice: through Django's test client (the WSGI-style
handler) and through channels' AsgiHandler, the code a runworker runs for
daphne's http.request messages; both must give the same answer.
"""
import urllib.parse

import pytest
from channels.handler import AsgiHandler
from channels.message import Message
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

# Django's handlers close stale connections at each request's start and end.
pytestmark = pytest.mark.django_db

LIMIT = 1000


@csrf_exempt
def form_fields(request):
    """A view that reads a posted form, as any form view does."""
    return HttpResponse("%d fields" % len(request.POST))


@csrf_exempt
def raw_body(request):
    """A view that reads the raw body, as a JSON API does."""
    return HttpResponse("%d bytes" % len(request.body))


urlpatterns = [path("form/", form_fields), path("raw/", raw_body)]


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.ROOT_URLCONF = __name__
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20


class Layer:
    """Where AsgiHandler's reply would go: nothing reads it here."""
    extensions = []


def through_a_worker(path, body, content_type="application/x-www-form-urlencoded"):
    message = Message({
        "reply_channel": "http.response.test!x", "http_version": "1.1", "method": "POST",
        "path": path, "query_string": b"", "root_path": "", "scheme": "http",
        "headers": [(b"host", b"testserver"), (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode())],
        "body": body, "client": ["127.0.0.1", 1], "server": ["testserver", 80],
    }, "http.request", Layer())
    first, *_ = AsgiHandler()(message)
    return first["status"]


def through_wsgi(path, body, content_type="application/x-www-form-urlencoded"):
    return Client().generic("POST", path, body, content_type=content_type).status_code


def form(fields):
    return urllib.parse.urlencode(fields).encode()


@pytest.mark.parametrize("where, body", [
    ("/form/", form({"username": "x" * LIMIT})),             # over DATA_UPLOAD_MAX_MEMORY_SIZE
    ("/raw/", b"{" + b" " * LIMIT + b"}"),                    # the same, read as a raw body
    ("/form/", form([("f%d" % i, "1") for i in range(21)])),  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
], ids=["form-too-big", "body-too-big", "too-many-fields"])
def test_a_request_over_a_limit_is_refused_with_400_as_under_wsgi(where, body):
    assert through_wsgi(where, body) == 400
    assert through_a_worker(where, body) == 400


@pytest.mark.parametrize("where, body", [
    ("/form/", form({"username": "x" * (LIMIT - 20)})),
    ("/raw/", b"{" + b" " * (LIMIT - 2) + b"}"),
    ("/form/", form([("f%d" % i, "1") for i in range(20)])),
], ids=["form-at-the-limit", "body-at-the-limit", "fields-at-the-limit"])
def test_a_request_within_the_limits_is_served(where, body):
    assert through_wsgi(where, body) == through_a_worker(where, body) == 200
