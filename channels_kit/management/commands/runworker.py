"""``runworker`` that waits out Redis and drains on SIGTERM.

Stock Channels 1.x runworker exits with code 1 when the layer's Redis is not
reachable: at start-up, before Redis listens, and whenever Redis restarts.
Under a process runner that takes the whole group down; in production it
leaves the split without workers until something restarts them. This command
keeps the stock behaviour and options and adds two things:

- Redis outages: when Redis refuses, times out or is still loading its data
  set, the worker logs once, polls until every shard answers, logs once more
  and starts listening again.
- SIGTERM (and SIGINT) drain: the stock handler calls ``sys.exit`` whenever
  the worker is not inside a consumer, which includes the moment after a
  message was popped from Redis and before its consumer started, so a
  message could vanish on a plain restart. Here the signal only stops the
  loop: the worker finishes what it holds and exits 0. Its blocking pop
  waits at most ``STOP_POLL_SECONDS``, which bounds how long that takes.

On the kit's layer a single-threaded worker also takes its messages in
batches of up to ``--batch`` (``channels_kit.worker.batches.BatchWorker``): one
Redis trip takes a backlog, one more sends the replies. ``--batch 1`` is
the stock loop.
"""
import logging
import time

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from channels.management.commands.runworker import Command as StockRunworker
from channels.signals import worker_process_ready
from channels.worker import Worker

from channels_kit.layer.roles import RedisBacked, TakesBatches, layer_that
from channels_kit.connections.redis_errors import REDIS_DOWN
from channels_kit.worker.batches import BatchWorker

logger = logging.getLogger("channels_kit.runworker")

RETRY_SECONDS = 0.5
STOP_POLL_SECONDS = 1


class Command(StockRunworker):
    help = StockRunworker.help + " Survives Redis restarts and drains on SIGTERM."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--batch", type=int, default=BatchWorker.batch,
                            help="Messages taken per Redis trip (1: the stock worker loop).")

    def handle(self, *args, **options):
        self.stopping = False
        self.batch = options.get("batch", BatchWorker.batch)
        worker_process_ready.connect(self.drain_on_signal)
        try:
            while not self.stopping:
                try:
                    return super().handle(*args, **options)
                except REDIS_DOWN as error:
                    logger.warning("Redis unavailable (%s); worker waiting for it", error)
                if self.wait_for_redis(options.get("layer", DEFAULT_CHANNEL_LAYER)):
                    logger.warning("Redis is back; worker listening again")
        finally:
            worker_process_ready.disconnect(self.drain_on_signal)

    def drain_on_signal(self, sender, **kwargs):
        """Replace the new worker's signal handler before its run loop installs it."""
        workers = [sender] + list(getattr(sender, "workers", []))

        def stop(signum, frame):
            logger.info("Signal %s: finishing the message in hand, then exiting", signum)
            self.stopping = True
            for worker in workers:
                worker.termed = True

        sender.sigterm_handler = stop
        layer = layer_that(RedisBacked, sender.channel_layer)
        if layer is not None:
            layer.blpop_timeout = STOP_POLL_SECONDS
        self.batch_receives(sender)

    def batch_receives(self, worker):
        """Make the stock command's single-threaded Worker a BatchWorker, where the layer can batch.

        The stock ``handle`` builds the worker itself; this runs between that
        and ``worker.run()``. BatchWorker adds no state but ``batch``, so the
        worker keeps everything the stock command gave it.
        """
        batches = layer_that(TakesBatches, worker.channel_layer) is not None
        if type(worker) is Worker and self.batch > 1 and batches:
            worker.__class__ = BatchWorker
            worker.batch = self.batch

    def wait_for_redis(self, alias):
        """Poll until every shard answers (statistics reads all of them); False if stopped."""
        layer = channel_layers[alias]
        while not self.stopping:
            try:
                layer.global_statistics()
                return True
            except REDIS_DOWN:
                time.sleep(RETRY_SECONDS)
        return False
