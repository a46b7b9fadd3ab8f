"""What the channel layer knows, read at scrape time: queue depths, oldest ages, drops.

Read by the process that answers ``/metrics`` (a worker), once per scrape,
from asgi_redis's ``statistics`` extension and the kit layer's drop counts;
nothing is added to a send or a receive. Only the channels the workers
listen on are asked about (fixed names such as ``websocket.receive``), and
group drops are limited to the groups with the most, so labels stay bounded.
"""
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from channels_kit.layer.roles import CountsDrops, layer_that, unwrap
from channels_kit.connections.redis_errors import REDIS_DOWN

# The groups whose drops are exported, most drops first.
TOP_GROUPS = 20


class LayerCollector:
    """A ``prometheus_client`` collector over one channel layer and the channels routed on it."""

    def __init__(self, wrapper, channels):
        self.layer = unwrap(wrapper)
        self.channels = sorted(channels)

    def collect(self):
        """The layer's families; none while Redis does not answer, so the processes' still show."""
        if "statistics" not in getattr(self.layer, "extensions", ()):
            return
        try:
            families = list(self.queues()) + list(self.drops())
        except REDIS_DOWN:
            return
        yield from families

    def queues(self):
        depth = GaugeMetricFamily("channels_layer_queue_depth",
                                  "Messages waiting on a channel the workers listen on", labels=["channel"])
        age = GaugeMetricFamily("channels_layer_oldest_message_seconds",
                                "Age of the oldest message waiting on the channel", labels=["channel"])
        full = CounterMetricFamily("channels_layer_channel_full",
                                   "Sends refused as full on the channel (asgi_redis statistics)",
                                   labels=["channel"])
        for channel in self.channels:
            stats = self.layer.channel_statistics(channel)
            depth.add_metric([channel], stats.get("messages_pending", 0))
            age.add_metric([channel], stats.get("messages_max_age", 0))
            full.add_metric([channel], stats.get("channel_full_count", 0))
        yield from (depth, age, full)

    def drops(self):
        counting = layer_that(CountsDrops, self.layer)
        if counting is None:
            return
        counts = counting.drop_counts()
        patterns = CounterMetricFamily("channels_layer_drops",
                                       "Messages refused as full, by channel pattern", labels=["pattern"])
        groups = CounterMetricFamily("channels_layer_group_drops",
                                     "Group sends that skipped a full member, for the groups with the most",
                                     labels=["group"])
        grouped = sorted(((count, field[len("group:"):]) for field, count in counts.items()
                          if field.startswith("group:")), reverse=True)
        for field, count in sorted(counts.items()):
            if not field.startswith("group:"):
                patterns.add_metric([field], count)
        for count, group in grouped[:TOP_GROUPS]:
            groups.add_metric([group], count)
        yield from (patterns, groups)
