"""Saved inspector traces: the list, saving one from the inspector page, and a replay page; staff only.

A replay needs no live split and no staff socket: the page carries the
saved trace (redacted when saved, and again when loaded) and steps through
it in the browser. Traces are for staff, like the live inspector: even
redacted, they show the site's paths, groups and what people typed.
"""
import datetime

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from channels_example.staff_pages import staff_page
from channels_example.trace_notes import note_for
from channels_kit.http import json_bodies
from channels_kit.inspector.message_keys import CARD
from channels_kit.inspector.traces import (MAX_EVENTS, TRACE_NAME, load_trace, save_trace, trace_names,
                                           well_formed)

staff_only = staff_page("Inspector traces show the messages that crossed the channel layer.")


@staff_only
def trace_list(request):
    """The saved traces; a POST (the inspector page's Save) saves one."""
    if request.method == "POST":
        return save_posted(request)
    return render(request, "pages/traces.html", {"names": trace_names(settings.INSPECTOR_TRACES_DIR)})


def save_posted(request):
    try:
        name, events, lost = posted_trace(request.body)
    except ValueError as bad:
        return JsonResponse({"error": "invalid-trace", "detail": str(bad)}, status=400)
    save_trace(settings.INSPECTOR_TRACES_DIR, name, events, lost)
    return JsonResponse({"name": name, "url": reverse("inspector-trace", args=[name])}, status=201)


def posted_trace(body):
    """``(name, events, lost)`` from ``{"name", "events": [{...}, ...], "lost"?}``; ValueError if not."""
    payload = json_bodies.json_object(body)
    name, events, lost = payload.get("name"), payload.get("events"), payload.get("lost", 0)
    if not isinstance(name, str) or not TRACE_NAME.match(name):
        raise ValueError("a trace name is letters, digits, '.', '-' and '_' (up to 64)")
    if not isinstance(events, list) or not all(well_formed(event) for event in events):
        raise ValueError('"events" must be a list of inspector events, each with its "ts", "role" '
                         'and "op"')
    if len(events) > MAX_EVENTS:
        raise ValueError("at most %d events in one trace" % MAX_EVENTS)
    if not isinstance(lost, int) or lost < 0:
        raise ValueError('"lost" must be a count')
    return name, events, lost


@staff_only
def trace_replay(request, name):
    trace = load_trace(settings.INSPECTOR_TRACES_DIR, name)
    if trace is None:
        raise Http404("no such trace")
    steps = [dict(event, note=note_for(event)) for event in trace["events"]]
    recorded = trace.get("recorded")
    return render(request, "pages/trace_replay.html", {
        "name": name, "steps": steps, "lost": trace.get("lost", 0), "message_keys": CARD,
        "recorded": datetime.datetime.fromtimestamp(recorded, tz=datetime.timezone.utc)
        if isinstance(recorded, int) else None,
    })
