"""Leaving the group a socket joined, by what its channel_session remembers.

The 1.x rooms pattern: connect works out which group a socket belongs
to (a room from the path, a letter or a user id from the logged-in user),
stores that in the socket's ``channel_session`` and joins the group. Later
messages on the socket no longer carry that context, so disconnect reads it
back from the session. Every feature that follows the pattern ends the same
way, hence one factory for its ``websocket.disconnect`` consumer.
"""
from channels.auth import channel_session_user
from channels.sessions import enforce_ordering


def leave_remembered_group(session_key, group_for):
    """A disconnect consumer: discard the socket from ``group_for(session[session_key])``.

    ``enforce_ordering`` keeps a disconnect from overtaking the connect that
    stored the key; a socket refused at connect has no key and leaves nothing.
    """
    @enforce_ordering
    @channel_session_user
    def disconnect(message, **path_kwargs):
        remembered = message.channel_session.get(session_key)
        if remembered is not None:
            group_for(remembered).discard(message.reply_channel)

    return disconnect
