"""What an inspector socket's consumers call: register the socket, forget it, refuse input.

The site decides who may watch (``channels_kit.decorators.staff_required``)
and where; these do the rest. Registering puts the socket's reply channel
in a Redis sorted set: every process's Tap sees it within a second and
starts reporting, and the daphne that serves the socket starts relaying to
it. The consumers themselves are never reported (their messages carry the
inspector's path).
"""
from channels_kit.client_errors import ClientError
from channels_kit.inspector.worker_hooks import tap_of


def watch(message):
    """Accept the socket and register it for events; ClientError if the layer cannot be inspected.

    Only the Redis layer with hooks can (the in-memory layer of
    ``runserver`` has no processes to watch, the stock one no hooks).
    """
    tap = tap_of(message.channel_layer)
    if tap is None:
        raise ClientError("inspector-unavailable",
                          "this channel layer has no inspector: run the split on "
                          "channels_kit.inspector.layer.InspectedRedisChannelLayer")
    tap.watch(message.reply_channel.name)
    message.reply_channel.send({"accept": True})


def unwatch(message):
    tap = tap_of(message.channel_layer)
    if tap is not None:
        tap.unwatch(message.reply_channel.name)
