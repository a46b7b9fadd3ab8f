"""What each step of a replayed trace illustrates: a one-line note and the doc paragraph it belongs to.

A trace replayed in class is a list of layer events; a student stepping
through it asks "what am I looking at?" at every step. Each kind of event
gets one short note and a link to the paragraph of docs/teaching.md or
docs/architecture.md that explains it (anchors as GitHub writes them;
tests/unit/test_traces_unit.py checks each heading exists).
"""
import re

from django.conf import settings

TEACHING = "teaching.md"
ARCHITECTURE = "architecture.md"

CHANNELS = (TEACHING, "1. Channels, the split, reply channels (10 minutes)")
GROUPS = (TEACHING, "2. Groups (10 minutes)")
BUFFERED = (TEACHING, "3. Buffered and immediate sends (10 minutes)")
SESSIONS = (TEACHING, "4. Per-socket state: the channel session (10 minutes)")
ORDERING = (TEACHING, "5. `enforce_ordering`, and the counter connect starts (10 minutes)")
REFUSING = (TEACHING, "9. Refusing a socket so the client knows why (5 minutes)")
PROMISES = (TEACHING, "10. What 1.x promises, and what it does not (5 minutes)")
HOP_BY_HOP = (ARCHITECTURE, "One room message, hop by hop")
INSPECTOR_LIMITS = (ARCHITECTURE, "Limits")

FROM_BROWSER = {
    "websocket.connect": (HOP_BY_HOP, "A browser opened a socket: daphne holds the handshake and "
                                      "queues websocket.connect (order 0) for a worker."),
    "websocket.receive": (CHANNELS, "A frame: daphne numbers it (order) and queues it on the one "
                                    "channel every socket shares."),
    "websocket.disconnect": (ORDERING, "The socket closed: disconnect is a message like any "
                                       "other, numbered last."),
    "http.request": (CHANNELS, "A page request: http.request is just another channel the "
                               "workers serve."),
}
RUNS = {
    "websocket.connect": (SESSIONS, "A worker runs connect: the only handler that sees the "
                                    "handshake; what it keeps goes into the channel session."),
    "websocket.receive": (CHANNELS, "Whichever worker is free takes the frame and runs the "
                                    "consumer routing.py picks."),
    "websocket.disconnect": (GROUPS, "A worker runs disconnect: where a socket leaves its groups."),
    "http.request": (CHANNELS, "A worker runs the view for the request, like any consumer."),
}


def note_for(event):
    """``{"doc", "heading", "href", "note"}`` for one event of a trace."""
    (doc, heading), note = explain(event)
    return {"doc": "docs/%s#%s" % (doc, anchor(heading)), "heading": heading.replace("`", ""),
            "href": doc_href(doc, anchor(heading)), "note": note}


def anchor(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def explain(event):
    op, role, channel = event.get("op"), event.get("role"), event.get("channel") or ""
    content = event.get("content") if isinstance(event.get("content"), dict) else {}
    if role == "inspector":
        return INSPECTOR_LIMITS, "The inspector itself: events were lost on the way (it fell behind)."
    if op == "park":
        return ORDERING, "enforce_ordering parked a message that came early, on its socket's wait channel."
    if op == "requeue":
        return ORDERING, "The message before it has run: the parked one goes back on its channel."
    if op == "drop":
        return PROMISES, "The channel was full: the layer refused the message, and it is lost."
    if op in ("group_add", "group_discard"):
        verb = "joins" if op == "group_add" else "leaves"
        return GROUPS, "The socket %s the group, a set of reply channels with one name." % verb
    if op == "group_send":
        return GROUPS, "One send to the group: the layer sends a copy to each of its %s members." % (
            event.get("members", "its"))
    if role == "daphne" and op == "send":
        return FROM_BROWSER.get(channel, (CHANNELS, "Daphne queues what a browser did."))
    if role == "daphne" and op == "receive":
        return HOP_BY_HOP, "Daphne takes a reply off its one response list and writes it to the socket."
    if op == "receive":
        return RUNS.get(channel, (CHANNELS, "A worker takes a message and runs its consumer."))
    return explain_send(event, content)


def explain_send(event, content):
    if event.get("group"):
        return GROUPS, "The group's copy for one member, on that member's reply channel."
    if content.get("accept") is True:
        return SESSIONS, ("The accept: daphne opens the socket it held. Buffered, it left the worker "
                          "only once connect returned and its session was saved.")
    if "close" in content and "text" not in content:
        return REFUSING, ("A close: before the accept daphne refuses the handshake (HTTP 403); "
                          "after it, the socket closes with this code.")
    if event.get("role") == "worker":
        return BUFFERED, ("A reply on the message's reply channel: held until the consumer returns, "
                          "unless sent with immediately=True.")
    return BUFFERED, "A send from outside a consumer (a shell, a view, a command): it leaves at once."


def doc_href(doc, anchor):
    """A link to the doc's heading under ``DOCS_URL``; None when no docs URL is configured."""
    base = settings.DOCS_URL
    return "%s%s#%s" % (base, doc, anchor) if base else None
