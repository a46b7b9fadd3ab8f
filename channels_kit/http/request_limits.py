"""Django's request-body limit for HTTP served by daphne and a worker, as under WSGI.

Under WSGI, ``HttpRequest.body`` refuses a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` with ``RequestDataTooBig``, which Django
answers with 400 Bad Request; ``request.POST`` goes through ``body`` for
form-encoded data, so a form post that large is refused the same way.
channels 1.1.8's ``AsgiRequest`` assembles the whole body itself, in its
``__init__``, and Django's check never runs: the view gets the body
whatever its size (on Django 2.2 as on 5.2). ``apply()`` gives
``AsgiRequest`` a ``body`` that checks first, so a worker answers exactly as
WSGI would. ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` needs nothing: Django's
``QueryDict`` and multipart parser enforce it while parsing, for both.

The body has already crossed the channel layer by then; nginx's
``client_max_body_size`` (deploy/) is what keeps it from being sent at all.
"""
from channels_kit.compat import djangos


def apply():
    """Patch ``AsgiRequest.body`` when ``channels.handler`` is imported (now, if it is)."""
    return djangos._after_import("channels.handler", _limit_asgi_request_body)


def _limit_asgi_request_body(handler):
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig

    def body(self):
        """The request body, refused above DATA_UPLOAD_MAX_MEMORY_SIZE as Django's own is."""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and len(self._body) > limit:
            raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
        return self._body

    handler.AsgiRequest.body = property(body)
