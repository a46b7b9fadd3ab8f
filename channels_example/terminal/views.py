"""The terminal's pages, for active staff only: hosts, a terminal, recordings and their replay.

The terminal page is served on the same path as its WebSocket
(``/terminal/<alias>/``), like the other demos. Recordings are served by
Django itself, through the same staff check: they hold everything a shell
printed, and must not sit under STATIC_ROOT for anyone to fetch.
"""
import datetime
import os

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render

from channels_example.staff_pages import staff_page
from channels_example.terminal.hosts import HostsError, load_hosts
from channels_example.terminal.recording import RECORDING_NAME, list_recordings


staff_only = staff_page("The terminal opens shells on servers.")


@staff_only
def hosts(request):
    try:
        configured, error = load_hosts(), None
    except HostsError as problem:
        configured, error = {}, str(problem)
    return render(request, "terminal/hosts.html", {
        "hosts": sorted(configured.values(), key=lambda h: h.alias), "error": error,
        "hosts_file": settings.TERMINAL_HOSTS_FILE,
    })


@staff_only
def terminal(request, alias):
    try:
        known = alias in load_hosts()
    except HostsError:
        known = False
    if not known:
        raise Http404("no such terminal host")
    return render(request, "terminal/terminal.html", {"alias": alias})


@staff_only
def recordings(request):
    found = [{"name": name[:-len(".cast")], "header": header, "started": started_at(header)}
             for name, header in list_recordings(settings.TERMINAL_RECORDINGS_DIR)]
    return render(request, "terminal/recordings.html", {"recordings": found})


def started_at(header):
    """The session's start as a UTC datetime, from the asciicast header's Unix time (or None)."""
    stamp = header.get("timestamp")
    if not isinstance(stamp, int):
        return None
    return datetime.datetime.fromtimestamp(stamp, tz=datetime.timezone.utc)


@staff_only
def replay(request, name):
    recording_file(name)
    return render(request, "terminal/replay.html", {"name": name})


@staff_only
def cast(request, name):
    return FileResponse(open(recording_file(name), "rb"), content_type="application/x-asciicast")


def recording_file(name):
    """The path of recording ``name`` (no .cast), or 404; names never leave the directory."""
    if not RECORDING_NAME.match(name + ".cast"):
        raise Http404("no such recording")
    path = os.path.join(settings.TERMINAL_RECORDINGS_DIR, name + ".cast")
    if not os.path.isfile(path):
        raise Http404("no such recording")
    return path
