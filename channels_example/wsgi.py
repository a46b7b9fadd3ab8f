"""The WSGI application: Django's own handler serves plain HTTP (deploy/, "the WSGI split").

In that deployment nginx sends WebSocket handshakes to daphne and every other
request here, so Django's WSGI handler, not daphne 1.4 and channels'
AsgiRequest, parses HTTP. Views that push (``/api/push/``) still reach
sockets: Channels 1.x's Group and Channel send from any process with the layer.
The kit comes first, as in asgi.py: its shims must precede channels.
"""
import os

import channels_kit  # noqa: F401  (first: its shims precede channels and Django)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_example.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

from channels_kit.http.forwarded_for import client_address_from_proxy  # noqa: E402

application = client_address_from_proxy(get_wsgi_application())
