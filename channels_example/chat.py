"""The site's groups and the frames they carry: rooms, letters and users.

Each group has one home here, next to the frame its members receive, the way
a model owns its ``websocket_group``. Consumers, ``push``, views and
management commands all reach a group through these functions, so a group's
name and its frame format are written once.
"""
import json
import re

from channels import Group
from django.conf import settings

from channels_example.timestamps import server_now
from channels_kit.client_errors import ClientError
from channels_kit.history import GroupHistory

# One spelling for the consumer, the URL and the pages' pattern attribute. The
# escaped "-" matters in the browser: Chromium compiles pattern attributes
# with the v flag, where an unescaped "-" at the end of a class is a syntax
# error and the whole attribute is silently ignored.
ROOM_PATTERN = r"[A-Za-z0-9_\-]{1,64}"
ROOM_RULE = "1 to 64 letters, digits, _ or -"
ROOM_NAME = re.compile("^%s$" % ROOM_PATTERN)
# What a group name may hold besides the prefix (asgiref's rule, lowercased).
GROUP_SAFE = re.compile(r"^[a-z0-9_.-]$")


def username_of(user):
    """The name shown in chat frames; anonymous users are all "anonymous"."""
    return user.username if user.is_authenticated else "anonymous"


def presence_label(user):
    """The name a room's presence shows; None for anonymous users, who count as guests.

    Not "anonymous": presence counts a label once however many sockets it
    has, and strangers must not merge into one person.
    """
    return user.username if user.is_authenticated else None


# --- Rooms: /chat/<room>/ ----------------------------------------------------

def checked_room(room):
    """``room`` if it is a valid room name; ClientError("invalid-room") otherwise."""
    if not ROOM_NAME.match(room):
        raise ClientError("invalid-room", "room names are 1-64 characters of A-Z a-z 0-9 _ -")
    return room


def room_group(room):
    return Group("room-%s" % room)


def room_history(room):
    """The room's last ``settings.ROOM_HISTORY`` messages: shown on load, caught up on reconnect."""
    return GroupHistory(room_group(room).name, size=settings.ROOM_HISTORY)


def say_in_room(room, user, text):
    """Send a chat frame to everyone in ``room``, kept in the room's history with its id.

    Every member receives ``{"room", "user", "text", "ts", "id"}``. The send
    is immediate: a consumer's buffered sends leave after it returns, when
    the room's next message may already be running on another worker.
    """
    frame = {"room": room, "user": user, "text": text, "ts": server_now()}
    frame = room_history(room).add(frame)
    room_group(room).send({"text": json.dumps(frame)}, immediately=True)


# --- Letters: /letters/ ------------------------------------------------------

def letter_of(username):
    """The lowercased first character, or ``u<code point>`` if a group name can't hold it."""
    first = username[0].lower()
    return first if GROUP_SAFE.match(first) else "u%04x" % ord(first)


def letter_group(letter):
    return Group("letter-%s" % letter)


def letter_message(letter, user, text):
    """The JSON frame everyone whose name starts with ``letter`` receives."""
    return json.dumps({"letter": letter, "user": user, "text": text, "ts": server_now()})


# --- Users: /notifications/ --------------------------------------------------

def user_group(user_id):
    """Every socket of one user (all their tabs and devices)."""
    return Group("user-%d" % user_id)


def user_message(sender, text):
    """The ``user.message`` frame every socket of the user receives."""
    return json.dumps({"type": "user.message", "user": sender, "text": text, "ts": server_now()})
