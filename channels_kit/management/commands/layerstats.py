"""``manage.py layerstats``: what the Redis channel layer holds, has carried and has dropped.

In Channels 1.x a full channel is the layer's only form of backpressure:
``send`` raises ChannelFull and ``Group.send`` skips the member. The tuned
layer (channels_kit/layer/) counts every refusal per channel pattern
and per group; this command prints those counts next to asgi_redis's own
``global_statistics()`` and ``channel_statistics()`` and the queue depths of
the channels the workers listen on, so a lossy room or a backed-up worker
pool shows up without reading Redis by hand. It also counts the workers
beating, when one was last lost, and the sockets ``enforce_ordering`` holds
back (``channels_kit.worker.ordering_gaps``). ``--json`` gives the same data for
scripts.
"""
import json

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from django.core.management.base import BaseCommand, CommandError

from channels_kit.layer.core import WAIT_PREFIX
from channels_kit.layer.roles import CountsDrops, KeepsOrderingRecords, layer_that, unwrap
from channels_kit.worker.ordering_gaps import GapSweeper
from channels_kit.connections.redis_urls import redact

RESPONSE_LISTS = "daphne.response.*"
WAIT_LISTS = WAIT_PREFIX + "*"


class Command(BaseCommand):
    help = "Show the channel layer's drop counts, statistics and queue depths."

    def add_arguments(self, parser):
        parser.add_argument("--layer", default=DEFAULT_CHANNEL_LAYER, help="channel layer alias")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        wrapper = channel_layers[options["layer"]]
        layer = unwrap(wrapper)
        if "statistics" not in layer.extensions:
            raise CommandError("%s keeps no statistics; layerstats needs the Redis layer "
                               "(set REDIS_URL)" % type(layer).__name__)
        stats = collect(layer, sorted(wrapper.router.channels))
        if options["json"]:
            self.stdout.write(json.dumps(stats, indent=2, sort_keys=True))
        else:
            self.stdout.write(render(stats))


def collect(layer, channels):
    counting = layer_that(CountsDrops, layer)
    records = layer_that(KeepsOrderingRecords, layer)
    return {
        "layer": "%s.%s" % (type(layer).__module__, type(layer).__name__),
        "hosts": [redact(host) for host in getattr(layer, "hosts", [])],
        "drops": counting.drop_counts() if counting is not None else None,
        "global": layer.global_statistics(),
        "channels": {
            channel: dict(layer.channel_statistics(channel), capacity=layer.get_capacity(channel))
            for channel in channels
        },
        "response_lists": list_depths(layer, RESPONSE_LISTS),
        "wait_lists": list_depths(layer, WAIT_LISTS),
        "ordering": records.ordering_state(GapSweeper.silent_after, GapSweeper.stall_seconds)
        if records is not None else None,
    }


def list_depths(layer, pattern):
    """{"lists": n, "pending": messages} over every list whose channel matches ``pattern``."""
    lists = pending = 0
    servers = layer.servers() if hasattr(layer, "servers") else layer._connection_list
    match = layer.key_pattern(pattern) if hasattr(layer, "key_pattern") else layer.prefix + pattern
    for connection in servers:
        for key in connection.scan_iter(match=match, count=1000):
            if connection.type(key) == b"list":
                lists += 1
                pending += connection.llen(key)
    return {"lists": lists, "pending": pending}


def render(stats):
    lines = ["Layer %s on %s" % (stats["layer"], ", ".join(stats["hosts"])), ""]
    lines.append("Full-channel refusals (send: ChannelFull raised; group: member skipped):")
    if stats["drops"] is None:
        lines.append("  not counted by this layer class")
    elif not stats["drops"]:
        lines.append("  none")
    for field, count in sorted(stats["drops"].items() if stats["drops"] else []):
        lines.append("  %-40s %8d" % (field, count))
    totals = stats["global"]
    lines += ["", "All channels: %d messages sent, %d refused as full "
              "(asgi_redis global_statistics)" % (totals["messages_count"],
                                                  totals["channel_full_count"]), ""]
    lines.append("  %-28s %8s %9s %9s %8s %9s" % (
        "channel", "pending", "capacity", "sent", "full", "max age s"))
    for channel, row in stats["channels"].items():
        lines.append("  %-28s %8d %9d %9d %8d %9d" % (
            channel, row["messages_pending"], row["capacity"], row["messages_count"],
            row["channel_full_count"], row["messages_max_age"]))
    for title, key in (("daphne response lists", "response_lists"),
                       ("enforce_ordering wait lists", "wait_lists")):
        depth = stats[key]
        lines.append("  %-28s %8d in %d list(s)" % (title, depth["pending"], depth["lists"]))
    if stats["ordering"] is not None:
        lines += ["", render_ordering(stats["ordering"])]
    return "\n".join(lines) + "\n"


def render_ordering(state):
    """Workers beating, the last one lost, and sockets enforce_ordering holds back."""
    lost = state["worker_lost_s_ago"]
    return ("Workers beating: %d; last lost: %s\n"
            "Sockets with parked messages: %d, stuck for %gs or more: %d" % (
                state["workers_beating"],
                "%.0f s ago" % lost if lost is not None else "none in the last minute",
                state["parked_sockets"], GapSweeper.stall_seconds, state["stuck_sockets"]))
