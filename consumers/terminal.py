"""``/terminal/<alias>/``: a staff user's SSH terminal, relayed to the terminal service.

These consumers hold no SSH state and never wait on a shell: the session
lives in the terminal service process (``manage.py runterminal``,
channels_example/terminal/service.py), which writes the output straight to
this socket's reply channel. Here a worker only

- on connect: refuses anyone but active staff (4201 / 4203) and aliases the
  hosts file does not list (4602), picks the session id (a new one, or
  ``?session=<id>`` to reattach, refused with 4608 unless the service's
  owners hash says the session is this user's), and only then accepts,
  keeps the session's input channel in the channel session, and asks the
  service to open or reattach it;
- on each frame: checks it is ``{"input"}`` or ``{"resize"}``, checks the
  service that owns the session still runs (else ends the socket with 4609,
  instead of sending into a list nobody reads), and forwards it with the
  user and the socket it came from: the service delivers it only from the
  owner's attached socket;
- on disconnect: tells the service the socket is gone, so the session keeps
  running detached and buffers its output for a reattach.

Frames must reach the shell in the order typed, so all three are
``enforce_ordering``ed (``ordered_connect`` and ``ordered_receive`` bring it).

Connect accepts with ``immediately=True``, before it has written the session
keys receive reads. That opens the one connect race 1.x has: the browser's
first frame can reach another worker while connect is still running. It is
safe here because receive is ordered: that frame is parked until connect
has returned and moved the order counter. An unordered receive would find
``terminal_input`` missing.

Teaches: a relay to a long-running service over channels, and the immediate
accept that only ordering makes safe.
"""
import re
import secrets

from channels import Channel
from channels.auth import channel_session_user_from_http
from channels.routing import route
from channels.sessions import channel_session, enforce_ordering

from channels_example.terminal import SERVICE_NAME as NAME
from channels_example.terminal import frames
from channels_example.terminal.hosts import HostsError, load_hosts
from channels_kit.client_errors import ClientError
from channels_kit.decorators import ordered_connect, ordered_receive, staff_required
from channels_kit import privileged
from channels_kit.frames import query_params
from channels_kit.worker.service import ServiceDirectory, input_channel

SESSION_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")


@ordered_connect(channel_session_user_from_http)
@staff_required
def connect(message, alias):
    known_host(alias)
    service_id = running_service(message)
    session_id, reattach = requested_session(message)
    if reattach:
        owned_session(message, session_id, alias)
    message.reply_channel.send({"accept": True}, immediately=True)
    privileged.hold(message, message.user)
    message.channel_session["terminal_service"] = service_id
    message.channel_session["terminal_input"] = input_channel(NAME, service_id, session_id)
    Channel(NAME + ".open").send({
        "session": session_id, "reattach": reattach, "alias": alias,
        "user_id": message.user.pk, "username": message.user.get_username(),
        "reply_channel": message.reply_channel.name,
    }, immediately=True)


@ordered_receive
@staff_required
def receive(message, alias):
    frame = frames.terminal_frame(message)
    if "terminal_input" not in message.channel_session:
        return  # connect refused this socket: it is closing, and reaches no session
    if running_service(message, quiet=True) != message.channel_session["terminal_service"]:
        message.reply_channel.send(frames.SERVICE_GONE, immediately=True)
        return
    frame.update(user_id=message.user.pk, socket=message.reply_channel.name)
    Channel(message.channel_session["terminal_input"]).send(frame, immediately=True)


@enforce_ordering
@channel_session
def disconnect(message, alias):
    if "terminal_input" in message.channel_session:
        Channel(message.channel_session["terminal_input"]).send(
            {"detach": message.reply_channel.name}, immediately=True)


def known_host(alias):
    """Only aliases from the hosts file: the browser never names a host."""
    try:
        hosts = load_hosts()
    except HostsError:
        hosts = {}
    if alias not in hosts:
        raise ClientError("unknown-host", "no host %r is configured for the terminal" % alias)


def running_service(message, quiet=False):
    """The live terminal service's id; refuses (4609) when none runs, unless ``quiet``."""
    service_id = ServiceDirectory(NAME, message.channel_layer.channel_layer).running_id()
    if service_id is None and not quiet:
        raise ClientError("terminal-unavailable", "the terminal service is not running "
                          "(python manage.py runterminal)")
    return service_id


def owned_session(message, session_id, alias):
    """Refuse (4608) a reattach to a session that is not this user's, or not live."""
    owner = ServiceDirectory(NAME, message.channel_layer.channel_layer).owner_of(session_id)
    if owner != str(message.user.pk):
        raise ClientError("unknown-session", "no live session %s of yours on %s: it ended, "
                          "or expired while detached" % (session_id, alias))


def requested_session(message):
    """(session id, reattach?): ``?session=<id>`` names a live session to reattach."""
    values = query_params(message).get("session", [])
    if not values:
        return secrets.token_hex(8), False
    if len(values) > 1 or not SESSION_ID.match(values[0]):
        raise ClientError("unknown-session", "?session= must be one session id")
    return values[0], True


routes = [
    route("websocket.connect", connect),
    route("websocket.receive", receive),
    route("websocket.disconnect", disconnect),
]
