"""Worker-side hooks: label the process and time each consumer, through Channels' own signals.

``worker_process_ready`` fires once in every runworker before it listens:
from then on the layer's events say ``worker``, and the worker's router is
kept to name the consumer a message was routed to. ``consumer_started`` and
``consumer_finished`` bracket every consumer run; when the receive that
started it is being inspected, the held event gets the consumer's name and
run time and ships, followed by what the consumer did. Connected in the
kit's AppConfig, so the stock worker loop stays untouched.
"""
from channels.signals import consumer_finished, consumer_started, worker_process_ready


class WorkerTap:
    """The Tap of this worker process's layer, once runworker has said it is a worker."""

    tap = None


def tap_of(layer):
    """The Tap of a layer or of Channels' wrapper around it; None if it has none."""
    return getattr(getattr(layer, "channel_layer", layer), "inspector", None)


def on_worker_ready(sender, **kwargs):
    tap = tap_of(sender.channel_layer)
    if tap is not None:
        tap.role = "worker"
        tap.router = sender.channel_layer.router
        WorkerTap.tap = tap


def on_consumer_started(sender, **kwargs):
    if WorkerTap.tap is not None:
        WorkerTap.tap.consumer_started()


def on_consumer_finished(sender, **kwargs):
    if WorkerTap.tap is not None:
        WorkerTap.tap.finish_run()


def connect():
    worker_process_ready.connect(on_worker_ready, dispatch_uid="channels_kit.inspector.ready")
    consumer_started.connect(on_consumer_started, dispatch_uid="channels_kit.inspector.started")
    consumer_finished.connect(on_consumer_finished, dispatch_uid="channels_kit.inspector.finished")
