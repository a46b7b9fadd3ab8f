"""HTTP requests: Django's views (and static files with DEBUG), through a consumer that always answers.

Teaches: ``http.request`` is just another channel, answered by the same
workers as the sockets.

Without this route runworker adds channels' own view consumer, which sends
nothing when something fails outside a view (``GET /static/../settings.py``)
and leaves daphne to answer 503 two minutes later
(``channels_kit.http.http_consumer``).
"""
from channels.routing import route

from channels_kit.http.http_consumer import AnsweringViewConsumer

routes = [route("http.request", AnsweringViewConsumer())]
