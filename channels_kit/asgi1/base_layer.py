"""What every ASGI 1 channel layer shares: name rules, capacities, exceptions.

From the ASGI 1 channel-layer specification:

* a channel or group name is a text string shorter than 100 characters of
  ASCII letters, digits, ``-``, ``_`` and ``.``;
* a channel name may carry one ``!`` (process-specific: the part up to and
  including it names the process that reads it) or one ``?`` (single-reader,
  made by ``new_channel``), followed by a client part;
* ``receive`` takes a process-specific name only up to its ``!``;
* ``send`` raises the layer's ``ChannelFull`` when a channel holds its
  capacity, and ``MessageTooLarge`` when a message exceeds what the layer can
  carry; capacities may differ per channel, by glob or regular expression.

asgi_redis's layer subclasses this class and relies on each method below.
"""
import fnmatch
import re

# Shorter than this many characters: the specification's limit.
MAX_NAME_LENGTH = 100

_PLAIN = r"[a-zA-Z\d\-_.]+"
_CHANNEL_NAME = re.compile(r"^%s([!?][\w\-.]*)?$" % _PLAIN)
_GROUP_NAME = re.compile(r"^%s$" % _PLAIN)


class BaseChannelLayer:
    """The shared half of an ASGI 1 layer; subclasses move the messages."""

    extensions = []

    class ChannelFull(Exception):
        """send() found the channel at its capacity; the message was not queued."""

    class MessageTooLarge(Exception):
        """The message is bigger than this layer carries."""

    def __init__(self, expiry=60, group_expiry=86400, capacity=100, channel_capacity=None):
        self.expiry = expiry
        self.group_expiry = group_expiry
        self.capacity = capacity
        self.channel_capacity = self.compile_capacities(channel_capacity or {})

    # What a concrete layer provides.

    def send(self, channel, message):
        raise NotImplementedError()

    def receive(self, channels, block=False):
        raise NotImplementedError()

    def new_channel(self, pattern):
        raise NotImplementedError()

    def receive_many(self, channels, block=False):
        """ASGI 1.0's name for ``receive``, which channels' test client still calls."""
        return self.receive(channels, block=block)

    # Capacities.

    def compile_capacities(self, channel_capacity):
        """(compiled pattern, capacity) pairs from a {glob or regex: capacity} dict.

        Strings are globs (``"http.request"``, ``"websocket.*"``); already
        compiled regular expressions are kept as they are.
        """
        compiled = []
        for pattern, capacity in channel_capacity.items():
            if isinstance(pattern, str):
                pattern = re.compile(fnmatch.translate(pattern))
            compiled.append((pattern, capacity))
        return compiled

    def get_capacity(self, channel):
        """The capacity of ``channel``: the first matching pattern's, else the default."""
        for pattern, capacity in self.channel_capacity:
            if pattern.match(channel):
                return capacity
        return self.capacity

    # Names.

    def match_type_and_length(self, name):
        return isinstance(name, str) and len(name) < MAX_NAME_LENGTH

    def valid_channel_name(self, name, receive=False):
        """True for a name ``send`` (or, with ``receive``, ``receive``) accepts; else TypeError."""
        if not (self.match_type_and_length(name) and _CHANNEL_NAME.match(name)):
            raise TypeError(
                "Channel name must be a text string shorter than %d characters of ASCII "
                "letters, digits, hyphens, underscores or periods, with at most one ! or ?, "
                "not %r." % (MAX_NAME_LENGTH, name))
        if name.endswith("?"):
            raise TypeError("A single-reader channel name needs its part after the ?: %r." % name)
        if receive and "!" in name and not name.endswith("!"):
            raise TypeError("receive() takes a process-specific channel only up to its !: %r." % name)
        return True

    def valid_group_name(self, name):
        """True for a usable group name; else TypeError."""
        if self.match_type_and_length(name) and _GROUP_NAME.match(name):
            return True
        raise TypeError(
            "Group name must be a text string shorter than %d characters of ASCII letters, "
            "digits, hyphens, underscores or periods, not %r." % (MAX_NAME_LENGTH, name))

    def valid_channel_names(self, names, receive=False):
        """Check every name of a non-empty list (what ``receive`` is given).

        The specification says a list; channels' worker passes a set, so any
        collection of names is accepted.
        """
        if not isinstance(names, (list, tuple, set, frozenset)) or not names:
            raise TypeError("channels must be a non-empty list, not %r." % (names,))
        for name in names:
            self.valid_channel_name(name, receive=receive)
        return True

    def non_local_name(self, name):
        """The part of a process-specific name up to and including ``!``; other names whole.

        That part is what a process receives on, and what a capacity counts.
        """
        head, bang, _ = name.partition("!")
        return head + bang
