"""Letters (session auth by example): you chat only with users whose
username starts with the same letter as yours.

Teaches: session auth carried from the HTTP login into a socket, and a
group name derived safely from user input.

Connect runs under ``channel_session_user_from_http``: the ``sessionid``
cookie of the handshake names a Django session, and the user in it is copied
into the socket's channel_session. Receive and disconnect run under
``channel_session_user`` and get ``message.user`` back from there; no HTTP
request, no cookie, is involved after connect.

The naive version computes ``Group("chat-%s" % message.user.username[0])`` in every
handler. Two things change here:

- Anonymous users are refused (``login-required``, close 4201). In the naive version
  an anonymous socket's ``username`` is ``""`` and ``[0]`` raises IndexError:
  a worker traceback and a dead socket with no reason.
- The group is decided once, on connect, and kept in the channel_session as
  rooms.py keeps its room. Disconnect then leaves the group it joined even
  if the user has been deleted or logged out everywhere since.

Group names may only hold ASCII letters, digits, ``-``, ``_`` and ``.``;
Django usernames may start with ``@``, ``+`` or any Unicode letter, so such a
first character is spelled as its code point: ``Émile`` joins
``letter-u00e9``.

Handlers are ordered (``enforce_ordering``) and send with
``immediately=True``, for the reasons rooms.py gives. Frames in:
``{"text": "..."}``. Frames out, to everyone with the same letter:
``{"letter", "user", "text", "ts"}``.
"""
from channels.auth import channel_session_user_from_http
from channels.routing import route

from channels_example.chat import letter_group, letter_message, letter_of
from channels_kit.decorators import login_required, ordered_connect, ordered_receive
from channels_kit.frames import chat_text_of
from channels_kit.session_groups import leave_remembered_group


@ordered_connect(channel_session_user_from_http)
@login_required
def connect(message):
    letter = letter_of(message.user.username)
    message.channel_session["letter"] = letter
    letter_group(letter).add(message.reply_channel)
    message.reply_channel.send({"accept": True})


@ordered_receive
@login_required
def receive(message):
    letter = message.channel_session["letter"]
    frame = letter_message(letter, message.user.username, chat_text_of(message))
    letter_group(letter).send({"text": frame}, immediately=True)


disconnect = leave_remembered_group("letter", letter_group)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
