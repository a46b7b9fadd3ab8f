"""Global group chat: every socket on /chat/ is in Group("chat").

Each text frame goes to the whole group as ``[<username>] <text>``; users who
are not logged in show as ``anonymous``.

receive reads the user connect stored in the channel_session, so connect and
receive are the ordered stacks of channels_kit.decorators (a frame handled
by another worker before connect finished would be sent as ``anonymous``),
and the group send goes out ``immediately`` so two frames from one socket
keep their order.
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
