"""The kit's asgi.py, as docs/using-the-kit.md writes it: daphne's layer from the kit's one call."""
import os
import channels_kit.daphne  # first: channels needs its shims
from channels.asgi import get_channel_layer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echosite.settings")
channel_layer = channels_kit.daphne.wrap_layer(get_channel_layer())
