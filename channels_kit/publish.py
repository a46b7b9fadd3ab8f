"""Send to a group or one channel from anywhere: a view, a signal, a task, the shell.

Two 1.x traps sit between "send" and "the socket hears it":

- A send inside ``transaction.atomic()`` leaves at once (or when the
  consumer returns), whether or not the transaction later commits, so
  sockets hear about rows that a rollback undid. ``publish`` hands the send
  to ``transaction.on_commit``: a rollback sends nothing, a commit sends
  once, and outside a transaction (autocommit) it sends at once.
- Inside a consumer, ``Group.send`` waits for the handler to return, and a
  task runner's process that borrows the consumer machinery never returns in
  that sense. ``publish`` always sends with ``immediately=True``.

Before anything is queued the layer is checked (``shared_layer.check_shared``):
a Redis that does not answer is refused with ``LayerUnreachable`` and its
reason, so the caller learns it now rather than a socket never hearing.
asgiref's in-memory layer is a dict inside one process; whether anything
reads it depends on the process, which only the caller knows: code that
runs outside every server (a command, a task, the shell) passes
``outside=True`` and is refused on it, as ``manage.py push`` is.
"""
from channels import DEFAULT_CHANNEL_LAYER, Channel, Group
from django.db import DEFAULT_DB_ALIAS, transaction

from channels_kit.shared_layer import PROCESS_LOCAL_BACKENDS, LayerUnreachable, check_shared

__all__ = ["LayerUnreachable", "to_channel", "to_group", "when_committed"]


def to_group(name, message, outside=False, using=DEFAULT_DB_ALIAS, alias=DEFAULT_CHANNEL_LAYER):
    """Send ``message`` to every member of group ``name`` once ``using``'s transaction commits."""
    _publish(Group(name, alias=alias), message, outside, using)


def to_channel(name, message, outside=False, using=DEFAULT_DB_ALIAS,
               alias=DEFAULT_CHANNEL_LAYER):
    """Send ``message`` to channel ``name`` (one socket's reply channel) once committed."""
    _publish(Channel(name, alias=alias), message, outside, using)


def when_committed(send, outside=False, using=DEFAULT_DB_ALIAS, alias=DEFAULT_CHANNEL_LAYER):
    """Check ``alias``'s layer now, then call ``send()`` once ``using``'s transaction commits.

    For a site function that sends and does more (keeps a room's history,
    say), so the rest is undone with the send when the transaction rolls back.
    ``send`` must send with ``immediately=True`` itself.
    """
    check_shared(alias, PROCESS_LOCAL_BACKENDS if outside else ())
    transaction.on_commit(send, using=using)


def _publish(target, message, outside, using):
    if not isinstance(message, dict):
        raise TypeError("a channel message is a dict, not %s" % type(message).__name__)
    when_committed(lambda: target.send(message, immediately=True), outside, using,
                   target.channel_layer.alias)
