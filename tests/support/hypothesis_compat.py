"""Let daphne 1.4.2's bundled tests run on a current hypothesis.

daphne's tests were written for hypothesis 3. Version 4 removed the
``average_size`` argument of ``text``/``binary``/``lists`` and version 5 the
``perform_health_check`` setting. Both only tuned how examples are generated,
so dropping them keeps every test's assertions as daphne wrote them.
"""
import functools

import hypothesis
from hypothesis import strategies

REMOVED_STRATEGY_ARGS = ("average_size",)
REMOVED_SETTINGS = ("perform_health_check",)


def _without(removed, func):
    @functools.wraps(func)
    def inner(*args, **kwargs):
        for name in removed:
            kwargs.pop(name, None)
        return func(*args, **kwargs)

    return inner


class _Settings(hypothesis.settings):
    def __init__(self, parent=None, **kwargs):
        for name in REMOVED_SETTINGS:
            kwargs.pop(name, None)
        super().__init__(parent, **kwargs)


def install():
    """Patch the removed arguments away; call before importing daphne.tests."""
    for name in ("text", "binary", "lists"):
        setattr(strategies, name, _without(REMOVED_STRATEGY_ARGS, getattr(strategies, name)))
    hypothesis.settings = _Settings
