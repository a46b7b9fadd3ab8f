"""What each consumer in a 1.x routing table is wrapped in, found without running it.

The system checks need to know, per path and channel, whether a consumer
runs inside ``channel_session``, ``enforce_ordering`` and an Origin check,
and whether that check is channels' hostname-only ``allowed_hosts_only``.
Channels 1.1.8 leaves no flag on a decorated function, but every decorator
it ships leaves a trace that can be followed statically:

- ``channel_session`` and ``enforce_ordering`` wrap with
  ``functools.wraps``: the wrapper's code object is the decorator's inner
  function (the same object for every consumer they wrap) and
  ``__wrapped__`` leads on to the next layer;
- ``allowed_hosts_only`` is a ``BaseOriginValidator`` instance;
- a decorator that picks between two wrapped consumers at call time (the
  kit's ``token_or``) holds them in its closure;
- Django's ``method_decorator`` (class-based consumers) keeps its
  decorators unapplied in its closure; they are applied here to a probe;
- a class-based consumer's ``get_handler`` adds the session and ordering
  decorators its class attributes ask for (``channel_session``,
  ``channel_session_user``, ``http_user``, ``strict_ordering``).

Nothing is imported from the project: the routing table comes from
``CHANNEL_LAYERS[alias]["ROUTING"]`` as the worker would load it.
"""
import types
from collections import namedtuple
from functools import partial

from channels.routing import Include, Router
from channels.security.websockets import AllowedHostsOnlyOriginValidator, BaseOriginValidator
from channels.sessions import channel_session, enforce_ordering

# How far to follow wrappers and closures; real decorator stacks are a few deep.
MAX_LAYERS = 200

# origin: any Origin check; hostname_only: only channels' allowed_hosts_only,
# which lets a page on another port or scheme of an allowed host through.
Traits = namedtuple("Traits", "session ordering origin hostname_only")
Entry = namedtuple("Entry", "path filters channel consumer traits")


def _probe(message, *args, **kwargs):
    """Stands in for a consumer when a decorator is applied only to be looked at."""


# The code objects the two session decorators wrap every consumer in.
SESSION_CODE = channel_session(_probe).__code__
ORDERING_CODE = enforce_ordering(_probe).__wrapped__.__code__


def routing_entries(routing):
    """Every route in ``routing`` (include()s flattened) as Entry tuples, in matching order."""
    yield from _walk(Router(routing).root, ())


def _walk(include, prefixes):
    for entry in include.routing:
        if isinstance(entry, Include):
            yield from _walk(entry, prefixes + tuple(_patterns(entry.prefixes)))
            continue
        filters = prefixes + tuple(_patterns(entry.filters))
        path = "".join(pattern for name, pattern in filters if name == "path") or "(any path)"
        for channel in sorted(entry.channels):
            yield Entry(path, filters, channel, entry.consumer, traits(entry.consumer, channel))


def _patterns(compiled):
    return sorted((name, regex.pattern) for name, regex in compiled.items())


def traits(consumer, channel):
    """Traits(session, ordering, origin, hostname_only) of the handler ``consumer`` runs for ``channel``."""
    if isinstance(consumer, type):
        return _class_traits(consumer, channel)
    return _layer_traits(layers(consumer))


def _class_traits(cls, channel):
    method = getattr(cls, "method_mapping", {}).get(channel)
    found = []
    for name in (method, method[len("raw_"):] if method and method.startswith("raw_") else None):
        if name and hasattr(cls, name):
            found.extend(layers(getattr(cls, name)))
    own = _layer_traits(found)
    by_attributes = any(getattr(cls, flag, False) for flag in (
        "channel_session", "channel_session_user", "http_user", "http_user_and_session"))
    ordered = bool(getattr(cls, "strict_ordering", False))
    return Traits(own.session or by_attributes or ordered, own.ordering or ordered, own.origin,
                  own.hostname_only)


def _layer_traits(found):
    codes = {getattr(layer, "__code__", None) for layer in found}
    validators = [layer for layer in found if isinstance(layer, BaseOriginValidator)]
    return Traits(
        session=SESSION_CODE in codes,
        ordering=ORDERING_CODE in codes,
        origin=bool(validators),
        hostname_only=bool(validators) and all(
            type(layer) is AllowedHostsOnlyOriginValidator for layer in validators),
    )


def layers(consumer):
    """The consumer and every callable it wraps or holds, outermost first."""
    found, pending = [], [consumer]
    while pending and len(found) < MAX_LAYERS:
        layer = pending.pop(0)
        if any(layer is seen for seen in found):
            continue
        found.append(layer)
        pending.extend(_inner(layer))
    return found


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # a closure variable not assigned yet
        return None


def _inner(layer):
    """What one layer leads to: what it wraps, then the callables in its closure."""
    inner = [getattr(layer, attribute) for attribute in ("__wrapped__", "func")
             if callable(getattr(layer, attribute, None))]
    code, closure = getattr(layer, "__code__", None), getattr(layer, "__closure__", None) or ()
    cells = dict(zip(code.co_freevars, map(_contents, closure))) if code else {}
    if code and code.co_name == "_wrapper" and "decorators" in cells:  # method_decorator
        inner.extend(decorator(_probe) for decorator in cells["decorators"])
    inner.extend(value for value in cells.values()
                 if isinstance(value, (types.FunctionType, BaseOriginValidator, partial)))
    return inner
