"""Channels 1.x routing answers, remembered by the only message values routing reads.

``Router.match`` walks the routing tree for every message, and every
``include()`` it tries deep-copies the whole message content (headers, frame
text and all) before testing its prefixes: in the worker's profile under an
echo load, the copies alone were a quarter of its own (non-Redis) time per
message. The answer depends on nothing but the channel name and the values
of the keys the routes and includes filter on (``path``, ``method``, ...),
tested by regular expressions, so it can be remembered by those values and
handed out again without the walk.

Routing that contains something other than channels' ``Route`` and
``Include`` (any object with a ``match()`` may be routed) could read
anything, so it is never cached: every message goes to ``Router.match``.
"""
from channels.routing import Include, Route

# A key the message does not have (``None`` is a value a message can hold).
MISSING = object()


def filter_keys(entry):
    """The message keys ``entry`` and everything under it test, or None if that cannot be known."""
    if isinstance(entry, Include):
        keys = set(entry.prefixes)
        for child in entry.routing:
            child_keys = filter_keys(child)
            if child_keys is None:
                return None
            keys |= child_keys
        return keys
    if isinstance(entry, Route):
        return set(entry.filters)
    return None


class RouteCache:
    """``Router.match`` for one worker, remembered per (channel, filtered values)."""

    # Distinct answers kept; rooms and the like put a name in the path, so
    # the table is emptied when it fills rather than allowed to grow.
    size = 10000

    def __init__(self, router):
        self.router = router
        keys = filter_keys(router.root)
        self.keys = None if keys is None else sorted(keys)
        self.answers = {}

    def match(self, message):
        if self.keys is None:
            return self.router.match(message)
        content = message.content
        key = (message.channel.name,) + tuple(content.get(name, MISSING) for name in self.keys)
        try:
            answer = self.answers.get(key, MISSING)
        except TypeError:  # a value that cannot be hashed (a list, a dict)
            return self.router.match(message)
        if answer is MISSING:
            answer = self.router.match(message)
            if len(self.answers) >= self.size:
                self.answers.clear()
            self.answers[key] = answer
        if answer is None:
            return None
        consumer, kwargs = answer
        return consumer, dict(kwargs)  # each consumer call gets its own kwargs
