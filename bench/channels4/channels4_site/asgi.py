"""The ASGI application daphne 4 serves: ``daphne channels4_site.asgi:application``.

Django's HTTP handler is built first because it sets Django up, which the
consumers' imports need. WebSockets go straight to the URL router: no auth
or origin middleware, as the bench's clients are anonymous and local.
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels4_site.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

http_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from channels4_site.consumers import EchoConsumer, RoomConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "http": http_application,
    "websocket": URLRouter([
        path("echo/", EchoConsumer.as_asgi()),
        path("chat/<slug:room>/", RoomConsumer.as_asgi()),
    ]),
})
