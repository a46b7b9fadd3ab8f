"""Global group chat: every socket on /chat/ is in Group("chat").

Teaches: Groups. connect adds the socket's reply channel to a named group,
receive sends one message to the group and the layer copies it to every
member, disconnect takes the socket out again. Each text frame goes to the
whole group as ``[<username>] <text>``; users who are not logged in show as
``anonymous``.

receive reads the user that connect stored in the channel_session. It cannot
run before connect: daphne holds the handshake until the (buffered) accept
arrives, and that leaves the worker only after connect returned and its
session was saved. What two workers can do is run two frames of one socket
at once, and flush the first frame's buffered group send after the second
one's. So connect and receive are the ordered stacks of
channels_kit.decorators (connect's ``enforce_ordering`` starts the socket's
order counter), and the group send goes out ``immediately``, before the next
frame is released. The stock-only version of this lesson is
consumers/lessons/groups.py.
"""
from channels import Group
from channels.auth import channel_session_user, channel_session_user_from_http
from channels.routing import route
from channels.sessions import enforce_ordering

from channels_example.chat import username_of
from channels_kit.decorators import ordered_connect, ordered_receive
from channels_kit.frames import text_of

GROUP = "chat"


@ordered_connect(channel_session_user_from_http)
def connect(message):
    message.reply_channel.send({"accept": True})
    Group(GROUP).add(message.reply_channel)


@ordered_receive
def receive(message):
    text = text_of(message)
    Group(GROUP).send({"text": "[%s] %s" % (username_of(message.user), text)}, immediately=True)


@enforce_ordering
@channel_session_user
def disconnect(message):
    Group(GROUP).discard(message.reply_channel)


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
