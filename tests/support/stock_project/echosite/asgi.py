"""The guide's asgi.py, with daphne's layer wrapped as the kit's docs show."""
import os

import channels_kit.daphne  # first: channels needs its shims on Django 3.0+
from channels.asgi import get_channel_layer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echosite.settings")

channel_layer = channels_kit.daphne.wrap_layer(get_channel_layer())
