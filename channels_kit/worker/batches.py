"""A Channels 1.x worker loop that takes queued messages in batches.

The stock ``channels.worker.Worker`` makes two Redis round trips per message:
one to take it, one (when the consumer returns) to send each reply. Each
trip costs the worker the write, the sleep of a blocking read and the
wake-up, which is most of its CPU per echo. ``BatchWorker`` takes up to
``batch`` queued messages in one trip (``RedisChannelLayer.receive_batch``)
and sends the replies they leave behind in one pipelined trip after the
last of them, so a backlog costs two trips per batch instead of two per
message.

What a consumer sees does not change:

- ``consumer_started`` and ``consumer_finished`` are sent around every
  message, so Django's connection cleanup and every other receiver run as
  before;
- ``Channel.send`` / ``Group.send`` inside a consumer are still held until
  it returns, and ``immediately=True`` still sends at once;
- a message whose consumer used a channel session (``channel_session``,
  ``enforce_ordering``, ``channel_session_user``) has its replies sent when
  it returns, exactly as the stock loop does, together with any replies of
  earlier messages in the batch still held: ``enforce_ordering`` publishes
  the socket's next order in the session, and another worker may then run
  the next message at once, so holding this one's replies any longer could
  let the next reply overtake it; the same when the layer's
  ``replies_wait_for_batch`` says no (the inspector, while watched, shows
  each consumer run with what it sent);
- ``DenyConnection``, ``ChannelSocketException`` and ``ConsumeLater`` are
  handled as the stock loop handles them;
- a stop signal ends the loop after the batch in hand is done, so nothing
  taken from Redis is dropped (the kit's runworker installs that handler);
- routing gives the same answers, remembered (``channels_kit.worker.route_cache``)
  instead of walked for every message.

Between batches the worker also looks for sockets that ``enforce_ordering``
holds behind a message a killed worker took with it, while a thread beats
its heartbeat (``channels_kit.worker.ordering_gaps``).

A reply refused as full is retried for ``PendingMessageStore.retry_time``
seconds, as the stock flush does; after that it is logged (the stock loop
raises from its ``finally`` and the worker process dies).
"""
import functools
import logging
import time

from channels.channel import Channel
from channels.exceptions import ChannelSocketException, ConsumeLater, DenyConnection
from channels.message import Message, pending_message_store
from channels.signals import consumer_finished, consumer_started
from channels.utils import name_that_thing
from channels.worker import Worker

from channels_kit.metrics import families as metrics
from channels_kit.worker.ordering_gaps import resolving_gaps
from channels_kit.worker.route_cache import RouteCache

logger = logging.getLogger("django.channels")


@functools.lru_cache(maxsize=512)
def consumer_name(consumer):
    """The consumer's dotted name, a metric label: worked out once per consumer, not per message."""
    return name_that_thing(consumer)


class BatchWorker(Worker):
    """``Worker`` with batched receives and pipelined replies (see the module docstring)."""

    # Messages taken per trip. Small: a batch in one worker's hands is not
    # available to an idle one, and a reply waits for the batch to finish.
    batch = 8
    # What answers router.match for this worker: given the router, an object
    # with the same match(). The router itself walks the routes every time.
    routing = RouteCache

    def run(self):
        if self.signal_handlers:
            self.install_signal_handler()
        channels = self.apply_channel_filters(self.channel_layer.router.channels)
        self.routes = self.routing(self.channel_layer.router)
        logger.info("Listening on channels %s", ", ".join(sorted(channels)))
        with resolving_gaps(self.channel_layer) as sweep_gaps:
            while not self.termed:
                self.in_job = False
                batch = self.channel_layer.receive_batch(channels, self.batch)
                self.in_job = True
                held = []
                for channel, content in batch:
                    self.handle(channel, content, held)
                self.send_held(held)
                sweep_gaps()

    def handle(self, channel, content, held):
        """Run one message's consumer; its replies join ``held`` or leave now (see the module docstring)."""
        message = Message(content=content, channel_name=channel, channel_layer=self.channel_layer)
        if content.get("__retries__", 0) == self.message_retries:
            message.__doomed__ = True
        match = self.routes.match(message)
        if match is None:
            logger.error("Could not find match for message on %s! Check your routing.", channel)
            return
        consumer, kwargs = match
        if self.callback:
            self.callback(channel, message)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("Dispatching message on %s to %s", channel, name_that_thing(consumer))
        self.channel_layer.start_consumer_run(channel, content)
        # Sent as the stock Worker class sends them, for receivers bound to that sender.
        consumer_started.send(sender=Worker, environ={})
        started = time.perf_counter()
        try:
            self.run_consumer(consumer, message, kwargs)
        finally:
            metrics.CONSUMER_SECONDS.labels(consumer_name(consumer)).observe(
                time.perf_counter() - started)
            # Take the consumer's held sends before the stock flush runs on
            # consumer_finished; that flush then finds nothing to send.
            held.extend(pending_message_store.threadlocal.messages)
            pending_message_store.threadlocal.messages = []
            if hasattr(message, "channel_session") or not self.channel_layer.replies_wait_for_batch:
                self.send_held(held)  # where the stock flush sends them
            consumer_finished.send(sender=Worker)

    def run_consumer(self, consumer, message, kwargs):
        """The stock loop's consumer call and its three exceptions."""
        try:
            consumer(message, **kwargs)
        except DenyConnection:
            if message.channel.name != "websocket.connect":
                raise ValueError("You cannot DenyConnection from a non-websocket.connect handler.")
            message.reply_channel.send({"close": True})
        except ChannelSocketException as error:
            error.run(message)
        except ConsumeLater:
            self.consume_later(message)
        except Exception:
            logger.exception("Error processing message with consumer %s:", name_that_thing(consumer))

    def consume_later(self, message):
        content, channel = message.content, message.channel.name
        content["__retries__"] = content.get("__retries__", 0) + 1
        if content["__retries__"] > self.message_retries:
            logger.warning("Exceeded number of retries for message on channel %s: %s",
                           channel, repr(content)[:100])
            return
        for _ in range(10):
            try:
                self.channel_layer.send(channel, content)
            except self.channel_layer.ChannelFull:
                time.sleep(0.05)
            else:
                return

    def send_held(self, held):
        """Send the held replies in order: runs of channel sends pipelined, group sends between them.

        A send on another layer than the worker's goes as the stock flush sends it.
        """
        run = []
        for sender, content in held:
            if isinstance(sender, Channel) and sender.channel_layer is self.channel_layer:
                run.append((sender.name, content))
                continue
            self.send_run(run)
            run = []
            sender.send(content, immediately=True)
        self.send_run(run)
        del held[:]

    def send_run(self, run):
        if not run:
            return
        for channel, content in self.channel_layer.send_many(run):
            self.retry_full(channel, content)

    def retry_full(self, channel, content):
        """The stock flush's patience for a full channel, then a logged drop instead of a crash."""
        deadline = time.monotonic() + pending_message_store.retry_time
        while time.monotonic() < deadline:
            time.sleep(pending_message_store.retry_interval)
            try:
                self.channel_layer.send(channel, content)
                return
            except self.channel_layer.ChannelFull:
                continue
        logger.error("Reply to %s dropped: still full after %.1fs", channel,
                     pending_message_store.retry_time)
