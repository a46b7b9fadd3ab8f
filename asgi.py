"""The channel layer Daphne serves: ``daphne asgi:channel_layer`` from the repo root.

Workers (``manage.py runworker``) build the same layer from the same settings,
so both sides of the split meet on one Redis.
"""
import os

import channels.asgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_example.settings")
channel_layer = channels.asgi.get_channel_layer()
