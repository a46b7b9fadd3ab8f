"""Who is in a group: presence for 1.x consumers, on the same truth as group membership.

In connect and disconnect::

    presence.join(Group("room-lobby"), "alice", message.reply_channel)
    presence.leave(Group("room-lobby"), message.reply_channel)

``join`` adds the socket to the group (it replaces ``group.add``), records
it under its label and returns ``{"present": [...], "guests", "seq"}`` for
the consumer to send the socket once it has accepted it (a text frame sent
before the accept would accept the socket early, before its session is
saved). ``asked_for(message)`` says whether a connect asked with
``?presence``, for endpoints where presence is something a client opts into.
The group hears of changes, through the group itself and at once (the
group's own messages keep their order around them):

- ``{"joined": "alice", "seq"}`` when a label's first socket joins,
- ``{"left": "alice", "seq"}`` when its last socket leaves, so a user with
  two tabs counts once and closing one tab announces nothing;
- ``{"guests": N, "seq"}`` when a socket without a label (an anonymous
  user) joins or leaves: guests are counted, never named, and each socket is
  one guest, since nothing the server knows makes two anonymous tabs one
  person without giving strangers a shared identity.

``seq`` numbers a group's changes in the order they were recorded. Sends from
different workers can still arrive swapped, so a client keeps, per label
(and for the guest count), the newest ``seq`` it applied and ignores older
frames, including those older than its ``present``.

Memberships are the truth: when a daphne dies without a disconnect and the
surviving daphnes prune its sockets' memberships (``channels_kit.daphne.
memberships``), ``forget`` drops their presence too and tells the group who
left; a socket whose membership lapsed is never reported as present.
"""
import json

from channels import DEFAULT_CHANNEL_LAYER, channel_layers

from channels_kit.frames import query_params
from channels_kit.metrics.families import PRESENCE_CHANGES
from channels_kit.presence.stores import store_for

__all__ = ["asked_for", "join", "leave", "members", "forget"]


def asked_for(message):
    """Whether a connect message asked for presence (``?presence`` in its query string)."""
    return "presence" in query_params(message)


def join(group, label, reply_channel):
    """Add the socket to ``group`` as ``label`` (None or "" for a guest); returns who is there."""
    group.add(reply_channel)
    change = store_for(group.channel_layer).join(group.name, reply_channel.name, label or "")
    if change is not None and (not change.label or change.count == 1):
        # Not to the joining socket: a frame before its accept would accept it
        # early; its ``present`` says the same.
        announce(group.channel_layer, group.name, change, "joined", skip=reply_channel.name)
    return members(group)


def leave(group, reply_channel):
    """Take the socket out of ``group`` and, if it was a label's last, tell the group."""
    group.discard(reply_channel)
    change = store_for(group.channel_layer).leave(group.name, reply_channel.name)
    if change is not None and (not change.label or change.count == 0):
        announce(group.channel_layer, group.name, change, "left")


def members(group):
    """``{"present": [labels, sorted], "guests": N, "seq"}``: who is in ``group`` now."""
    seq, labels = store_for(group.channel_layer).present(group.name)
    return {"present": sorted(set(filter(None, labels))),
            "guests": labels.count(""), "seq": seq}


def forget(memberships, layer=None):
    """Drop the presence of pruned ``(group, channel)`` memberships and announce who left.

    Called by the daphne that pruned them: their sockets are gone, and no
    disconnect consumer will ever run for them.
    """
    layer = layer or channel_layers[DEFAULT_CHANNEL_LAYER]
    if not memberships:
        return
    changes = store_for(layer).leave_all(memberships)
    for (group_name, _), change in zip(memberships, changes):
        if change is not None and (not change.label or change.count == 0):
            announce(layer, group_name, change, "left")


def announce(layer, group_name, change, what, skip=None):
    """Send the group (but ``skip``) its frame for ``change`` now, not after the consumer returns.

    Like a group send, a member whose channel is full misses it.
    """
    if change.label:
        frame = {what: change.label, "seq": change.seq}
    else:
        frame = {"guests": change.count, "seq": change.seq}
    PRESENCE_CHANGES.labels(what).inc()
    message = {"text": json.dumps(frame)}
    if skip is None:
        layer.send_group(group_name, message)
        return
    sends = [(channel, message) for channel in layer.group_channels(group_name) if channel != skip]
    if hasattr(layer, "send_many"):  # the kit's layer: one trip per Redis host
        layer.send_many(sends)
        return
    for channel, message in sends:
        try:
            layer.send(channel, message)
        except layer.ChannelFull:
            pass
