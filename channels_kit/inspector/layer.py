"""The channel layer with inspector hooks: each operation is an event while someone watches.

``InspectedLayer`` is a mixin over the kit's Redis layer. Each hook runs the
operation first and, only when the process's ``Tap`` says an inspector is
open, reports it: ``send`` (``park`` into an enforce_ordering
``__wait__.*`` channel, ``requeue`` for a parked message sent back),
``receive``, ``group_add``, ``group_discard``, ``group_send`` with its
member count and one ``send`` per member, and ``drop`` for a full channel.
A worker's receive is held until its consumer returns, so it names the
consumer (``module.function``) and its run time (``worker_hooks.py``).

The inspector never shows itself: messages whose ``path`` is
``inspector_path`` (its socket's connect, frames and disconnect, and the
page itself) are not reported, nor is anything a worker does while
handling one, nor anything daphne receives for such a socket, nor the
relay's own sends. Without that, every event delivered would be an event
to deliver.
"""
import collections
import time

from channels_kit.inspector.tap import Tap, run_state
from channels_kit.layer import WAIT_PREFIX, RedisChannelLayer


class InspectedLayer:
    inspector_path = "/inspector/"
    # How many inspector sockets (and page loads) daphne remembers as not to be shown.
    quiet_sockets_max = 1000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.inspector = Tap(self.private_client(), self.key_prefix(0))  # the tap's thread uses it
        # Reply channels of the inspector's own sockets and pages, in daphne.
        self.quiet_sockets = collections.OrderedDict()
        # The channels daphne receives on: the relay serves inspector sockets on them.
        self.daphne_channels = ()

    ### Sending ###

    def send(self, channel, message):
        began = self._began()
        super().send(channel, message)
        if message.get("path") == self.inspector_path and "reply_channel" in message:
            self._remember_quiet(message["reply_channel"])
        elif began and self.inspector.admit():
            self._report_send(began, channel, message)

    def _began(self):
        """The time an operation starts if it may be reported (else None).

        Events carry the time their operation began: a reply can reach
        daphne before the worker's send has returned, and the sequence
        view must still draw the send first.
        """
        return time.time() if self.inspector.watching and not run_state.quiet else None

    def _remember_quiet(self, reply_channel):
        self.quiet_sockets[reply_channel] = True
        if len(self.quiet_sockets) > self.quiet_sockets_max:
            self.quiet_sockets.popitem(last=False)

    def _report_send(self, began, channel, message):
        if channel.startswith(WAIT_PREFIX):
            op = "park"
        elif message is run_state.from_wait:
            op, run_state.from_wait = "requeue", None
        else:
            op = "send"
        self.inspector.emit(op, channel, ts=began, content=dict(message))

    def group_channels(self, group):
        members = super().group_channels(group)
        run_state.members = members
        return members

    def send_group(self, group, message):
        began = self._began()
        run_state.full = []
        super().send_group(group, message)
        if began and self.inspector.admit():
            members, full = run_state.members or [], run_state.full
            content = dict(message)
            self.inspector.emit("group_send", None, ts=began, group=group, members=len(members),
                                content=content)
            for member in members:
                if member not in full and self.inspector.admit():
                    self.inspector.emit("send", member, ts=began, group=group, content=content)
        run_state.members = run_state.full = None

    def _report_full(self, channel, group=None):
        super()._report_full(channel, group)
        if run_state.full is not None:
            run_state.full.append(channel)
        if self.inspector.watching and not run_state.quiet and self.inspector.admit():
            self.inspector.emit("drop", channel, group=group)

    def group_add(self, group, channel):
        began = self._began()
        super().group_add(group, channel)
        if began and self.inspector.admit():
            self.inspector.emit("group_add", channel, ts=began, group=group)

    def group_discard(self, group, channel):
        began = self._began()
        super().group_discard(group, channel)
        if began and self.inspector.admit():
            self.inspector.emit("group_discard", channel, ts=began, group=group)

    ### Receiving ###

    def receive(self, channels, block=False):
        if self.inspector.role == "daphne":  # daphne --force-sync polls here
            self.daphne_channels = channels
        channel, message = super().receive(channels, block)
        if channel is not None:
            self._report_receive(channel, message, block)
        return channel, message

    def _report_receive(self, channel, message, block):
        tap = self.inspector
        new_run = block and tap.role == "worker"  # the worker's loop, not requeue_messages
        if new_run:
            if run_state.pending is not None:
                tap.finish_run()  # the last message found no route: no consumer ran
            run_state.quiet = message.get("path") == self.inspector_path
        if channel.startswith(WAIT_PREFIX):
            run_state.from_wait = message  # shown when it is sent back: "requeue"
            return
        if not tap.watching or run_state.quiet or channel in self.quiet_sockets or not tap.admit():
            return
        event = tap.event("receive", channel, content=dict(message))
        if new_run:
            tap.begin_run(event, channel, message)
        else:
            tap.enqueue(event)

    def receive_twisted(self, channels):
        self.daphne_channels = channels
        received = super().receive_twisted(channels)
        if self.inspector.watching:  # a callback per receive costs daphne; only while watched
            received.addCallback(self._report_twisted)
        return received

    ### Batches (the kit's BatchWorker) ###

    @property
    def replies_wait_for_batch(self):
        """Not while watched: each run's replies are reported as part of that run, as unbatched."""
        return not self.inspector.watching

    def start_consumer_run(self, channel, message):
        """A batched message starts its run: reported as the worker's receive of it would be."""
        super().start_consumer_run(channel, message)
        self._report_receive(channel, message, True)

    def send_many(self, sends):
        began = self._began()
        refused = super().send_many(sends)
        if began:
            refused_ids = {id(message) for _, message in refused}
            for channel, message in sends:
                if id(message) not in refused_ids and self.inspector.admit():
                    self._report_send(began, channel, message)
        return refused

    def _report_twisted(self, result):
        channel, message = result
        if channel is not None and channel not in self.quiet_sockets and self.inspector.admit():
            self.inspector.emit("receive", channel, content=dict(message))
        return result


class InspectedRedisChannelLayer(InspectedLayer, RedisChannelLayer):
    """The kit's tuned Redis layer, observable by ``/inspector/`` sockets."""
