"""The guide's asgi.py, with daphne's layer wrapped as the kit's README shows."""
import os

import channels_kit  # noqa: F401  (first: channels needs its shims on Django 3.0+)
from channels.asgi import get_channel_layer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echosite.settings")

from channels_kit.daphne import speedups as daphne_speedups  # noqa: E402
from channels_kit.daphne.flow_control import FlowControlledLayer  # noqa: E402
from channels_kit.daphne.health import AnswersHealthWhileRedisIsDown  # noqa: E402

daphne_speedups.apply()
channel_layer = FlowControlledLayer(
    AnswersHealthWhileRedisIsDown(get_channel_layer(), path="/health/"),
    max_frame=65536, rate=20, burst=60, max_per_client=200,
)
