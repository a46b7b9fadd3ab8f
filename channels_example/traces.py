"""Saved inspector traces: the list, and a replay page that steps through one, staff only.

A replay needs no live split and no staff socket: the page carries the
saved trace (redacted when saved, and again when loaded) and steps through
it in the browser. Traces are for staff, like the live inspector: even
redacted, they show the site's paths, groups and what people typed.
"""
import datetime

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from channels_example.staff_pages import staff_page
from channels_example.trace_notes import note_for
from channels_kit.inspector.message_keys import CARD
from channels_kit.inspector.traces import load_trace, trace_names

staff_only = staff_page("Inspector traces show the messages that crossed the channel layer.")


@staff_only
def trace_list(request):
    return render(request, "pages/traces.html", {"names": trace_names(settings.INSPECTOR_TRACES_DIR)})


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
