"""``manage.py recordtrace NAME``: record what the inspector would show, for a class to replay.

Run it beside a split (``./run`` leaves its settings for other shells),
do what the lesson does, and stop it with Ctrl-C, ``--seconds`` or
``--events``. The trace is saved redacted to ``INSPECTOR_TRACES_DIR``
and replayed, step by step, on the site's ``/inspector/traces/`` pages
(docs/teaching.md).
"""
import signal
import time

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from channels_kit.inspector.traces import TRACE_NAME, Recorder, save_trace
from channels_kit.inspector.worker_hooks import tap_of


class Command(BaseCommand):
    help = "Record the channel layer's events (as the inspector shows them) into a trace file."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the trace's name: letters, digits, '.', '-', '_'")
        parser.add_argument("--seconds", type=float, default=60.0, help="stop after this long")
        parser.add_argument("--events", type=int, default=0, help="stop after this many events")
        parser.add_argument("--layer", default=DEFAULT_CHANNEL_LAYER, help="channel layer alias")

    def handle(self, *args, **options):
        name = options["name"]
        if not TRACE_NAME.match(name):
            raise CommandError("a trace name is letters, digits, '.', '-' and '_' (up to 64): %r"
                               % name)
        layer = getattr(channel_layers[options["layer"]], "channel_layer", None)
        if tap_of(layer) is None:
            raise CommandError("this channel layer has no inspector: run the split on "
                               "channels_kit.inspector.layer.InspectedRedisChannelLayer (set REDIS_URL)")
        recorder = Recorder(layer)
        deadline = time.monotonic() + options["seconds"]
        enough = options["events"]

        def done(recorder):
            return time.monotonic() >= deadline or bool(enough and len(recorder.events) >= enough)

        stop_on_signals()
        self.stdout.write("recording %r: Ctrl-C to stop" % name)
        recorder.record(done)
        path = save_trace(settings.INSPECTOR_TRACES_DIR, name, recorder.events, recorder.lost)
        self.stdout.write("%d events (%d lost) saved to %s" % (len(recorder.events), recorder.lost, path))


def stop_on_signals():
    """Ctrl-C (SIGINT) and SIGTERM both stop the recording, which is then saved.

    A command started in the background by a script inherits SIGINT ignored,
    and Python then leaves it so: Ctrl-C, or a SIGINT from whoever started
    it, would not stop the recording.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
