"""What every page's scripts must know about the server's rules, served once.

The limits live in settings and chat.py; a page that checks input before
sending reads them from the template, so a changed ``WS_MAX_FRAME`` or room
rule reaches the browser without a second copy in JavaScript.
"""
from django.conf import settings

from channels_example.chat import ROOM_PATTERN, ROOM_RULE


def socket_rules(request):
    return {
        "max_frame": settings.WEBSOCKET_LIMITS["max_frame"],
        "room_pattern": ROOM_PATTERN,
        "room_rule": ROOM_RULE,
    }
