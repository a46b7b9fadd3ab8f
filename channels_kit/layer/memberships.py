"""Group memberships that last as long as their socket, and no longer.

asgi_redis scores a member when it joins (``group_add``) and drops it
``group_expiry`` seconds later, so a socket open longer silently stops
hearing its group; and a daphne killed without a ``websocket.disconnect``
leaves its sockets in their groups, written to by every group send, until
that expiry. The workers do the joining, but only the daphne knows which of
its sockets are still open, so the knowledge is recorded where both can
reach it:

- ``group_add`` also lists ``"<group> <channel>"`` under the channel's
  owner, the daphne's reply-channel prefix (``daphne.response.<id>!``), in
  ``<prefix>:members:<owner>``, and names the owner in ``<prefix>:owners``;
  ``group_discard`` takes the entry out again.
- Each daphne periodically calls ``keep_members`` with its open reply
  channels: it beats (its owners' scores in ``<prefix>:owners``), rescores
  every listed membership of an open socket and forgets those of closed
  ones, in one trip per shard.
- ``sweep_departed`` (also run by every daphne) prunes the memberships of
  owners that have not beaten for a while, from their groups and the lists.

Both hand the ``(group, channel)`` memberships they take out of their groups
to a ``pruned`` callback (the daphne's: it counts them and tells
``channels_kit.presence``) before they delete their entries, so a callback
that fails (Redis went away) leaves them listed, for the next tick to
prune and hand over again.

The bookkeeping keys live on the first shard; groups stay where asgi_redis
hashes them (``placement.py``). Channels that no daphne owns (no ``!``) lapse as before.
"""
import time

# Owners swept in one call; the rest wait for the next.
SWEEP_LIMIT = 16


def owner_of(channel):
    """``daphne.response.ab12!cd34`` -> ``daphne.response.ab12!``; None if no server owns it."""
    head, bang, _ = channel.partition("!")
    return head + bang if bang else None


class Memberships:
    """The layer's part of keeping memberships (a mixin over asgi_redis's groups)."""

    def _owners_key(self):
        return "%s:owners" % self.key_prefix(0)

    def _members_key(self, owner):
        return "%s:members:%s" % (self.key_prefix(0), owner)

    def group_add(self, group, channel):
        """asgi_redis's ZADD and EXPIRE, and the entry under the channel's owner: a trip a shard."""
        assert self.valid_group_name(group), "Group name not valid"
        assert self.valid_channel_name(channel), "Channel name not valid"
        group_key = self._group_key(group)
        index = self.consistent_hash(group)
        pipeline = self.connection(index).pipeline(transaction=False)
        pipeline.zadd(group_key, **{channel: time.time()})
        pipeline.expire(group_key, self.group_expiry)
        owner = owner_of(channel)
        if owner is not None:
            books = pipeline if index == 0 else self.connection(0).pipeline(transaction=False)
            books.sadd(self._members_key(owner), "%s %s" % (group, channel))
            # NX: a join names a new owner, it never vouches that an old one lives.
            books.execute_command("ZADD", self._owners_key(), "NX", time.time(), owner)
            if books is not pipeline:
                books.execute()
        pipeline.execute()

    def group_discard(self, group, channel):
        """asgi_redis's ZREM, and the membership's entry under its owner."""
        assert self.valid_group_name(group), "Group name not valid"
        assert self.valid_channel_name(channel), "Channel name not valid"
        self.connection(self.consistent_hash(group)).zrem(self._group_key(group), channel)
        owner = owner_of(channel)
        if owner is not None:
            self.connection(0).srem(self._members_key(owner), "%s %s" % (group, channel))

    def keep_members(self, open_channels, pruned=None):
        """Beat for ``open_channels``' owners, rescore their memberships, forget closed sockets'.

        ``open_channels`` is a daphne's set of open reply channels; the
        forgotten memberships go to ``pruned``. Returns how many memberships
        were kept fresh.
        """
        owners = sorted({owner for owner in map(owner_of, open_channels) if owner})
        if not owners:
            return 0
        now = time.time()
        books = self.connection(0).pipeline(transaction=False)
        books.zadd(self._owners_key(), **{owner: now for owner in owners})
        for owner in owners:
            books.smembers(self._members_key(owner))
        listed = books.execute()[1:]
        kept, forgotten, groups = 0, [], {}
        forget = self.connection(0).pipeline(transaction=False)
        for owner, entries in zip(owners, listed):
            for entry in entries:
                group, channel = entry.decode("utf8").split(" ", 1)
                index = self.consistent_hash(group)
                if index not in groups:
                    groups[index] = self.connection(index).pipeline(transaction=False)
                pipeline = groups[index]
                if channel in open_channels:
                    # XX: a socket's worker may have discarded it meanwhile; never re-add.
                    pipeline.execute_command("ZADD", self._group_key(group), "XX", now, channel)
                    pipeline.expire(self._group_key(group), self.group_expiry)
                    kept += 1
                else:
                    pipeline.zrem(self._group_key(group), channel)
                    forget.srem(self._members_key(owner), entry)
                    forgotten.append((group, channel))
        for pipeline in groups.values():
            pipeline.execute()
        if forgotten and pruned is not None:
            pruned(forgotten)
        forget.execute()
        return kept

    def sweep_departed(self, silent_for, pruned=None):
        """Prune memberships of owners silent for ``silent_for`` seconds; returns those owners.

        Each owner's memberships go to ``pruned`` once out of their groups.
        """
        owners_key = self._owners_key()
        books = self.connection(0)
        departed = [owner.decode("utf8") for owner in books.zrangebyscore(
            owners_key, "-inf", time.time() - silent_for, start=0, num=SWEEP_LIMIT)]
        for owner in departed:
            groups = {}
            for entry in books.smembers(self._members_key(owner)):
                group, channel = entry.decode("utf8").split(" ", 1)
                groups.setdefault(self.consistent_hash(group), []).append((group, channel))
            for index, members in groups.items():
                pipeline = self.connection(index).pipeline(transaction=False)
                for group, channel in members:
                    pipeline.zrem(self._group_key(group), channel)
                pipeline.execute()
            members = [member for members in groups.values() for member in members]
            if members and pruned is not None:
                pruned(members)
            pipeline = books.pipeline(transaction=False)
            pipeline.delete(self._members_key(owner))
            pipeline.zrem(owners_key, owner)
            pipeline.execute()
        return departed
