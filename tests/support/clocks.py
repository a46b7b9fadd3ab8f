"""A clock the tests set, for code that stamps Redis with ``time.time()``.

The kit layer records when workers beat and when parked messages last moved
as ``time.time()`` scores, and compares them with windows of a second or two.
A test that sleeps across such a window, or races a slow process start
against it, fails on a busy machine; one that sets the clock does not.
"""
import time


class LayerClock:
    """The ``time`` module as the modules of ``channels_kit.layer`` see it, with ``time()`` at ``now``."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now

    def __getattr__(self, name):
        return getattr(time, name)


def set_layer_clock(monkeypatch, now):
    """Make the kit layer read ``now`` as the time until the test ends; return the clock."""
    clock = LayerClock(now)
    for module in ("core", "parking", "worker_side"):
        monkeypatch.setattr("channels_kit.layer.%s.time" % module, clock)
    return clock
