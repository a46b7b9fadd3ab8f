"""What every page's scripts must know about the server's rules, served once.

The limits live in settings and chat.py; a page that checks input before
sending reads them from the template, so a changed ``WS_MAX_FRAME`` or room
rule reaches the browser without a second copy in JavaScript.
"""
import platform

import channels
import django

from channels_example.chat import ROOM_PATTERN, ROOM_RULE
from channels_kit.daphne.limits import Limits

# What every page's footer says it runs on: the site runs on two Django lines.
VERSIONS = {"channels": channels.__version__, "django": django.get_version(),
            "python": platform.python_version()}


def socket_rules(request):
    return {
        "max_frame": Limits.from_settings().max_frame,
        "room_pattern": ROOM_PATTERN,
        "room_rule": ROOM_RULE,
    }


def versions(request):
    """The Channels, Django and Python releases this page was served by."""
    return {"versions": VERSIONS}
