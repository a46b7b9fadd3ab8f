"""An ASGI 1 channel layer held in one process's memory.

The layer ``runserver`` and unit tests use when no Redis is configured
(``"BACKEND": "asgiref.inmemory.ChannelLayer"``, the name a 1.x project
already has). Messages are deep-copied on send, so a sender that changes its
dict afterwards cannot change what a consumer reads. Channels and group
memberships expire as the specification says; a full channel refuses sends,
a group send skips full members. Thread-safe: ``runserver`` runs its
interface server and worker threads in one process.
"""
import copy
import random
import string
import threading
import time
from collections import defaultdict, deque

from .base_layer import BaseChannelLayer

_CLIENT_PART_ALPHABET = string.ascii_letters + string.digits


class ChannelLayer(BaseChannelLayer):
    """Channels as deques of (expires at, message); groups as {channel: expires at}."""

    extensions = ["groups", "flush"]

    def __init__(self, expiry=60, group_expiry=86400, capacity=10, channel_capacity=None):
        super().__init__(expiry=expiry, group_expiry=group_expiry, capacity=capacity,
                         channel_capacity=channel_capacity)
        self._lock = threading.RLock()
        self._channels = defaultdict(deque)
        self._groups = defaultdict(dict)

    def send(self, channel, message):
        if not isinstance(message, dict):
            raise TypeError("A message must be a dict, not %r." % type(message).__name__)
        self.valid_channel_name(channel)
        with self._lock:
            self._drop_expired()
            if self._queued(channel) >= self.get_capacity(channel):
                raise self.ChannelFull(channel)
            self._channels[channel].append((time.time() + self.expiry, copy.deepcopy(message)))

    def _queued(self, channel):
        """How many messages count against ``channel``'s capacity.

        A process-specific channel's messages all count against the process
        (``name!``), since one process reads them all.
        """
        if "!" not in channel:
            return len(self._channels.get(channel, ()))
        process = self.non_local_name(channel)
        return sum(len(queue) for name, queue in self._channels.items() if name.startswith(process))

    def receive(self, channels, block=False):
        """The oldest message of one of ``channels`` (tried in random order), or (None, None).

        A name ending in ``!`` reads every channel of that process. Never
        blocks: the specification lets a layer return at once.
        """
        self.valid_channel_names(channels, receive=True)
        channels = sorted(channels)  # a set from channels' worker: one order, then shuffled
        random.shuffle(channels)
        with self._lock:
            self._drop_expired()
            for requested in channels:
                for name in self._matching(requested):
                    queue = self._channels[name]
                    _, message = queue.popleft()
                    if not queue:
                        del self._channels[name]
                    return name, message
        return None, None

    def _matching(self, requested):
        """The non-empty channels a receive on ``requested`` may read."""
        if requested.endswith("!"):
            return [name for name in self._channels if name.startswith(requested) and self._channels[name]]
        return [requested] if self._channels.get(requested) else []

    def new_channel(self, pattern):
        """A channel name nobody uses yet: ``pattern`` (ending in ``?``) plus random letters."""
        if not (isinstance(pattern, str) and pattern.endswith("?")):
            raise TypeError("new_channel() takes a name ending in ?, not %r." % (pattern,))
        self.valid_channel_name(pattern + "x")
        with self._lock:
            while True:
                name = pattern + "".join(random.choice(_CLIENT_PART_ALPHABET) for _ in range(12))
                if name not in self._channels:
                    return name

    # Groups.

    def group_add(self, group, channel):
        self.valid_group_name(group)
        self.valid_channel_name(channel)
        with self._lock:
            self._groups[group][channel] = time.time() + self.group_expiry

    def group_discard(self, group, channel):
        self.valid_group_name(group)
        self.valid_channel_name(channel)
        with self._lock:
            members = self._groups.get(group)
            if members is not None:
                members.pop(channel, None)
                if not members:
                    del self._groups[group]

    def group_channels(self, group):
        self.valid_group_name(group)
        with self._lock:
            self._drop_expired()
            return list(self._groups.get(group, ()))

    def send_group(self, group, message):
        """Send to every member; a full member misses this message, as the specification allows."""
        for channel in self.group_channels(group):
            try:
                self.send(channel, message)
            except self.ChannelFull:
                pass

    # Flush.

    def flush(self):
        with self._lock:
            self._channels.clear()
            self._groups.clear()

    def _drop_expired(self):
        """Forget expired messages and memberships; a channel whose message expired leaves its groups.

        The specification lets a layer drop a channel from its groups once a
        message to it expires unread: nobody is reading it any more.
        """
        now = time.time()
        dead = set()
        for name, queue in list(self._channels.items()):
            while queue and queue[0][0] <= now:
                queue.popleft()
                dead.add(name)
            if not queue:
                del self._channels[name]
        for group, members in list(self._groups.items()):
            for channel, expires in list(members.items()):
                if expires <= now or channel in dead:
                    del members[channel]
            if not members:
                del self._groups[group]
