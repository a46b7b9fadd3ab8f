"""An ``http.request`` consumer that always answers: ``AnsweringViewConsumer``.

``runworker`` routes HTTP to channels' ``ViewConsumer`` (``StaticFilesConsumer``
with DEBUG). Django turns an exception in a *view* into a 500 response, but
one raised around it is not caught by anyone: the static files handler's
``SuspiciousFileOperation`` for ``GET /static/../x``, a response that fails
to encode. The worker logs a traceback, sends nothing, and daphne answers
503 only after its 120 s HTTP timeout, holding the client that long.

Routed for ``http.request`` in the routing table (it then comes before the
one runworker adds), this consumer is the stock one plus:

- a static path that tries to leave the static directories is a 404 at once;
- any other exception before the first reply chunk is logged and answered
  with a 500 JSON error (``{"error": "server-error", ...}``), never silence.
"""
import logging
import time

from channels.handler import AsgiHandler, ViewConsumer
from channels.staticfiles import StaticFilesHandler
from django.apps import apps
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, JsonResponse

logger = logging.getLogger("channels_kit.http")


class StaticFilesWithinRoot(StaticFilesHandler):
    """channels' static files handler; a path outside the static directories is Http404."""

    def serve(self, request):
        try:
            return super().serve(request)
        except SuspiciousOperation as error:
            logger.info("static path refused (%s): %s", request.path, error)
            raise Http404("no such static file")


def server_error():
    response = JsonResponse({"error": "server-error",
                             "detail": "the server failed to answer this request"}, status=500)
    return AsgiHandler.encode_response(response)


class AnsweringViewConsumer(ViewConsumer):
    """channels' view consumer (static files too when DEBUG) that answers every request."""

    def __init__(self, static=None):
        serve_static = (settings.DEBUG and apps.is_installed("django.contrib.staticfiles")
                        if static is None else static)
        self.handler_class = StaticFilesWithinRoot if serve_static else AsgiHandler
        super().__init__()

    def __call__(self, message):
        replies = self.handler(message)
        sent = False
        try:
            for reply in replies:
                self.send(message, reply)
                sent = True
        except Exception:
            logger.exception("no answer from the view for %s %s; answering 500",
                             message.content.get("method"), message.content.get("path"))
            if not sent:
                for reply in server_error():
                    self.send(message, reply)

    @staticmethod
    def send(message, reply):
        """Send one reply chunk, waiting while the reply channel is full (as ViewConsumer does)."""
        while True:
            try:
                message.reply_channel.send(reply, immediately=True)
                return
            except message.channel_layer.ChannelFull:
                time.sleep(0.05)
