"""Server push from outside consumers (a view, a command, the shell: the 1.x way).

In Channels 1.x any process that has the channel layer can send to a group or
to one socket's reply channel: a view, a signal handler, a management command,
a task, the shell. Nothing has to be "inside" a consumer and no consumer has to
keep a list of connected channel names: Groups are that list, kept by the
layer, and ``Group.send`` is an ordinary synchronous call.

Which helper to use:

- ``push_to_room(room, text)``: everyone on ``ws://HOST/chat/<room>/``, in the
  same frame format as a chat message, so pages need no new code.
- ``push_to_user(user, text)``: every socket of one user (all their tabs), via
  the per-user group ``user-<id>`` that ``ws://HOST/notifications/`` joins.
- ``push_to_channel(reply_channel_name, payload)``: exactly one socket, when you
  kept its ``message.reply_channel.name`` (a daphne reply channel is
  ``daphne.response.<server>!<socket>``).

All sends go through ``channels_kit.publish``: inside ``transaction.atomic()``
they leave when it commits (a rollback sends nothing), and they never wait
for a consumer to return. ``outside=True`` is for callers that run outside
every server (commands, tasks): a layer that reaches nobody refuses them.
"""
import json

from django.contrib.auth import get_user_model

from channels_example.chat import (
    checked_room,
    say_in_room,
    user_group,
    user_message,
)
from channels_kit import publish
from channels_kit.client_errors import ClientError

# What a command that sends says when its layer reaches no server
# (channels_kit.shared_layer.RequiresSharedLayer).
UNREACHABLE_HINT = (
    "Start the split with ./run and run this command again beside it: while ./run "
    "runs, manage.py reads its REDIS_URL from .run.env. Or set REDIS_URL to the "
    "Redis your daphne and workers use.")


def checked_text(text):
    """The text of a push; blank text is refused here, so every way of pushing agrees."""
    if not isinstance(text, str) or not text.strip():
        raise ClientError("invalid-push", '"text" must be a non-empty string')
    return text


def push_to_room(room, text, user="server", outside=False):
    """Send a chat frame to everyone in ``room``; raises ClientError for a bad name or blank text."""
    room, text = checked_room(room), checked_text(text)
    publish.when_committed(lambda: say_in_room(room, user, text), outside)


def push_to_user(user_or_username, text, user="server", outside=False):
    """Send a ``user.message`` frame to every socket of one user.

    ``user_or_username`` is a User or a username; an unknown username raises
    ``User.DoesNotExist``; blank text raises ClientError. ``user`` is the
    sender shown in the frame.
    """
    text = checked_text(text)
    recipient = user_or_username
    if isinstance(recipient, str):
        recipient = get_user_model().objects.get_by_natural_key(recipient)
    publish.to_group(user_group(recipient.pk).name, {"text": user_message(user, text)}, outside)


def push_to_channel(reply_channel_name, payload, outside=False):
    """Send ``payload`` (a JSON-serialisable object) as one text frame to one socket."""
    publish.to_channel(reply_channel_name, {"text": json.dumps(payload)}, outside)
