"""The workers' side of the layer: receives, requeues in order, and batches.

A runworker (channels' Worker, or the kit's BatchWorker) holds the layer
as it is built from the settings: its sends and receives are the ones here.

- ``receive`` pops and fetches in one script call while there is a
  backlog, and BLPOPs (plus one script) when the channels ran dry.
- for the kit's batching runworker: ``receive_batch`` takes up to K queued
  messages in one trip and ``send_many`` sends a batch's replies in one.
- for ``enforce_ordering``: a message requeued from a wait channel goes to
  the head of its channel, and a worker that just parked a message pauses
  a moment, so two workers stop parking each other's next messages.

A worker's threads share one layer; what one thread's consumer run
remembers between its receive and its sends is that thread's own
(``ReceiveState``).
"""
import random
import threading
import time

from channels_kit.layer.core import WAIT_PREFIX


class ReceiveState(threading.local):
    """What one worker thread remembers between its receives and sends (defaults per thread)."""

    # The last receive found the channels empty: the next one BLPOPs first.
    blocked = False
    # The message last taken from an enforce_ordering wait channel (it goes
    # back to the head of its channel when the consumer requeues it).
    from_wait = None
    # The message key of the message requeued last in this consumer run.
    requeued_key = None
    # This consumer run parked a message in a wait channel.
    parked = False
    # Parks in a row, for the back-off after parking.
    streak = 0
    # When this thread last parked a message (time.monotonic()).
    parked_at = float("-inf")


class WorkerSide:
    """Receives, ordered requeues and batches, for the processes that run consumers (a mixin)."""

    # A worker's pause after parking a message for enforce_ordering, doubled
    # for each park in a row up to the maximum (seconds).
    park_pause = 0.001
    park_pause_max = 0.008
    # How long a worker that parked a message takes one message per receive_batch (seconds).
    unbatched_after_park = 1.0
    # Whether a batch's replies may wait for its last consumer (BatchWorker);
    # a layer that reports each consumer run as it happens says no.
    replies_wait_for_batch = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Per worker thread: see ReceiveState.
        self._local = ReceiveState()

    ### Sending ###

    def _send_from_worker(self, channel, message):
        """A worker's send: waits for Redis; a message requeued from a wait channel goes first."""
        front = message is self._local.from_wait
        self._local.from_wait = None
        connection, keys, args = self._send_call(channel, message, front=front)
        if front:
            # The next requeued message goes right behind this one, keeping
            # the wait channel's order (a plain LPUSH each would reverse it).
            args.append(self._local.requeued_key or "")
            self._local.requeued_key = keys[0]
        self._send_now(channel, connection, keys, args)
        if channel.startswith(WAIT_PREFIX):
            self._local.parked = True
            self._local.parked_at = time.monotonic()
            self._note_parked(channel, connection)

    ### Receiving ###

    def receive(self, channels, block=False):
        """One trip when a message is waiting; BLPOP first when the last receive had to wait.

        A message taken from an ``enforce_ordering`` wait channel is
        remembered: when the consumer sends it back to its original channel
        (``requeue_messages``), it goes to the head of the list, behind any
        message requeued just before it. It is older than everything queued
        behind it, and at the tail the socket's later messages would all be
        taken first and parked again, each time round.
        """
        if block:  # the worker's own loop, not requeue_messages inside a consumer
            self._back_off_after_parking()
        channel, message = self._receive(channels, block)
        waited = bool(channel) and channel.startswith(WAIT_PREFIX)
        self._local.from_wait = message if waited else None
        if channel and not waited:
            self._local.requeued_key = None  # a new consumer run: a new requeue sequence
        return channel, message

    def _back_off_after_parking(self):
        """Give the worker running a socket's earlier message time to finish.

        A consumer that just parked a message in a wait channel ran while
        another worker holds the socket's previous message. Taking the next
        message at once mostly takes the same socket's next one and parks it
        too, so two workers park each ordered message several times. Pausing
        a little, longer after each park in a row (at most ``park_pause_max``
        seconds), lets the other worker finish and requeue first.
        """
        if self._local.parked:
            self._local.streak += 1
            time.sleep(min(self.park_pause * 2 ** (self._local.streak - 1), self.park_pause_max))
        else:
            self._local.streak = 0
        self._local.parked = False

    def _receive(self, channels, block):
        if not block and len(channels) == 1 and channels[0].startswith(WAIT_PREFIX):
            return self._take_parked(channels[0])
        indexes = self._receive_list_names(channels)
        if indexes is None:
            return None, None
        if not (block and self._local.blocked):
            for index, list_names in indexes.items():
                random.shuffle(list_names)  # as asgi_redis: no channel starves the others
                connection = self.connection(index)
                found = (self._pop_declared(list_names, connection) if self.cluster else
                         self.pop_with_content(keys=list_names, args=[1], client=connection))
                if found:
                    self._local.blocked = False
                    return self._unpack(found[0], found[1])
        if not block:
            return None, None
        self._local.blocked = True
        for index, list_names in indexes.items():
            connection = self.connection(index)
            popped = connection.blpop(list_names, timeout=self.blpop_timeout)
            if popped:
                keys = [popped[1]] if self.cluster else [popped[1], popped[0]]
                content, left = self.take(keys=keys, args=[0], client=connection)
                # A backlog behind it: the next receive pops without blocking.
                self._local.blocked = not left
                if content is not None:
                    return self._unpack(popped[0], content)
        return None, None

    ### Batches (the kit's BatchWorker) ###

    def receive_batch(self, channels, limit):
        """Up to ``limit`` messages, ``[(channel, message), ...]``, in one trip while a backlog lasts.

        A worker that takes one message per trip spends a round trip (and
        the sleep and wake-up of a blocking read) on every message. Here one
        script pops up to ``limit`` queued messages with their contents. When
        the last call found fewer than ``limit``, the channels ran dry: this
        one BLPOPs (at most ``blpop_timeout`` seconds; ``[]`` if nothing came)
        and takes up to ``limit - 1`` more queued behind the popped one in the
        same script call as its content.

        For ``unbatched_after_park`` seconds after it parked a message for
        ``enforce_ordering``, it takes one message at a time. One socket's
        messages split between two workers' batches make the second worker
        park its whole batch while the first runs its own, then take and park
        the requeued ones again, over and over (docs/performance.md has the
        figures).
        """
        if self.cluster:  # one message at a time: see _pop_declared
            channel, message = self.receive(channels, block=True)
            return [(channel, message)] if channel else []
        self._back_off_after_parking()
        if time.monotonic() - self._local.parked_at < self.unbatched_after_park:
            limit = 1
        indexes = self._receive_list_names(channels)
        if indexes is None:
            return []
        if not self._local.blocked:
            for index, list_names in indexes.items():
                random.shuffle(list_names)  # as asgi_redis: no channel starves the others
                found = self.pop_with_content(keys=list_names, args=[limit],
                                              client=self.connection(index))
                if found:
                    self._local.blocked = len(found) < 2 * limit
                    return self._unpack_pairs(found)
        self._local.blocked = True
        for index, list_names in indexes.items():
            connection = self.connection(index)
            popped = connection.blpop(list_names, timeout=self.blpop_timeout)
            if popped:
                found = self.take(keys=[popped[1], popped[0]], args=[limit - 1], client=connection)
                self._local.blocked = not found[1]
                pairs = [popped[0], found[0]] + found[2:] if found[0] is not None else found[2:]
                return self._unpack_pairs(pairs)
        return []

    def _pop_declared(self, list_names, connection):
        """On a cluster: ``[list, content]`` of the first message queued in ``list_names``, or [].

        The pop scripts read message keys they do not declare; while a slot
        moves key by key, a message's content may already be on the other
        master, where no redirect can reach a script, and the message would
        be lost. Here each pop and each read names its one key, so the
        cluster's ASK takes it to wherever the key is.
        """
        for name in list_names:
            while True:
                key = connection.lpop(name)
                if key is None:
                    break
                content = self.take(keys=[key], args=[0], client=connection)[0]
                if content is not None:
                    return [name, content]
        return []

    def start_consumer_run(self, channel, message):
        """A batched message's consumer begins: what it requeues is a new sequence (see receive)."""
        self._local.requeued_key = None

    def _unpack_pairs(self, found):
        return [self._unpack(found[i], found[i + 1]) for i in range(0, len(found), 2)]

    def send_many(self, sends):
        """Send ``[(channel, message), ...]`` in one pipelined trip per Redis host, in order.

        Returns the ``(channel, message)`` pairs refused as full (each one
        reported like any other refusal), for the caller to retry or drop.
        """
        return self._send_pipelined(sends)
