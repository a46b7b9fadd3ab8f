"""The lessons ladder: Channels 1.x taught with stock imports only.

Every lesson is a module of function consumers that imports nothing but
``channels`` and the standard library, with every decorator written out, so
what a student reads is exactly what channels 1.1.8 does. The site's own
consumers (one level up) wrap the same ideas in channels_kit's stacks.

Each rung has its own path. From rung 4 on, a rung is a broken consumer
(``*_broken.py``, at ``.../broken/``) beside its fix: the broken one shows a
mistake the 1.x docs and their readers really made, and a test in
tests/e2e/test_lessons_*.py shows the mistake happening and the fix preventing
it. docs/teaching.md walks the ladder in class order.

Routed only with ``LESSONS=1`` (``settings.LESSONS``): the broken consumers
leak messages between strangers and starve the workers on purpose, and no
lesson checks Origin (``manage.py check`` says so, W004: that is the last
lesson).

``pause()`` marks where a lesson's race happens; with ``LESSONS_SLOW_MS``
set it holds the consumer there, so the race plays out at human speed.
"""
import time

from channels.routing import include
from django.conf import settings


def pause():
    """Hold the consumer ``LESSONS_SLOW_MS`` (none by default): a race window, stretched.

    Defined before the ladder is imported, since the lessons import it.
    """
    if settings.LESSONS_SLOW_MS:
        time.sleep(settings.LESSONS_SLOW_MS / 1000)


# (module, path) for each rung, in class order; a broken rung right before its fix.
RUNGS = [
    ("echo", r"^/lessons/1-echo/$"),
    ("groups", r"^/lessons/2-groups/$"),
    ("sessions", r"^/lessons/3-sessions/$"),
    ("ordering_broken", r"^/lessons/4-ordering/broken/$"),
    ("ordering", r"^/lessons/4-ordering/$"),
    ("swap_broken", r"^/lessons/5-swap/broken/$"),
    ("swap", r"^/lessons/5-swap/$"),
    ("waiting_broken", r"^/lessons/6-waiting/broken/$"),
    ("waiting", r"^/lessons/6-waiting/$"),
    ("per_user_broken", r"^/lessons/7-per-user/broken/$"),
    ("per_user", r"^/lessons/7-per-user/$"),
    ("refusing_broken", r"^/lessons/8-refusing/broken/$"),
    ("refusing", r"^/lessons/8-refusing/$"),
    ("immediate_broken", r"^/lessons/9-immediate/broken/$"),
    ("immediate", r"^/lessons/9-immediate/$"),
    ("leaving_broken", r"^/lessons/10-leaving/broken/$"),
    ("leaving", r"^/lessons/10-leaving/$"),
]

LADDER = [include("consumers.lessons.%s.routes" % module, path=path) for module, path in RUNGS]

routes = LADDER if settings.LESSONS else []
