"""Refuse to send from a process whose channel layer no server shares.

A management command runs in a process of its own. On asgiref's in-memory
layer its ``Group.send`` lands in a dict that dies with the command, and on a
Redis layer whose Redis is down the message goes nowhere either; in both
cases a command that reports success is lying to whoever ran it. Commands
that exist to reach sockets (a push, a live value) check first with
``RequiresSharedLayer`` and fail with a reason and a non-zero exit.
"""
from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from django.core.management.base import CommandError
from django.utils.module_loading import import_string

from channels_kit.connections.redis_errors import REDIS_DOWN
from channels_kit.connections.redis_urls import redact


class LayerUnreachable(Exception):
    """The layer reaches no other process; the message says why."""


# Backends that live inside one process: nothing outside it can read them.
PROCESS_LOCAL_BACKENDS = ("asgiref.inmemory.ChannelLayer",)


def check_shared(alias=DEFAULT_CHANNEL_LAYER, local_backends=PROCESS_LOCAL_BACKENDS):
    """Return quietly if ``alias``'s layer reaches other processes; else LayerUnreachable.

    Redis layers (asgi_redis and its subclasses: anything with ``ring_size``
    and ``connection(index)``) are asked for a PING on every shard, since a
    send to a shard that is down is lost as surely as one to a dead dict.
    """
    layer = channel_layers[alias].channel_layer
    if isinstance(layer, tuple(import_string(path) for path in local_backends)):
        raise LayerUnreachable(
            "the channel layer is %s.%s, which lives inside this one process: "
            "nothing another process listens to would receive this"
            % (type(layer).__module__, type(layer).__name__))
    for index in range(getattr(layer, "ring_size", 0)):
        try:
            layer.connection(index).ping()
        except REDIS_DOWN as error:
            raise LayerUnreachable("Redis at %s does not answer (%s)"
                                   % (host_name(layer, index), error))


def host_name(layer, index):
    """Where shard ``index`` of ``layer`` lives, fit for an error message."""
    if getattr(layer, "cluster", None):
        return layer.host_name(index)
    return without_password(layer.hosts[index])


def without_password(url):
    """``redis://:secret@host:6379/0`` -> ``redis://host:6379/0``, fit for an error message.

    A ``sentinel://`` URL nests several URLs, each with its own password: redacted.
    """
    if url.startswith("sentinel://"):
        return redact(url)
    scheme, sep, rest = url.rpartition("://")
    return scheme + sep + rest.rpartition("@")[2]


class RequiresSharedLayer:
    """Mixin for a BaseCommand: refuse to run when its sends would reach nobody.

    The check runs before ``handle``, so nothing is half done (no value saved
    that no page hears about). ``unreachable_hint`` is added to the error: a
    site says there how to reach its running servers.
    """

    channel_layer_alias = DEFAULT_CHANNEL_LAYER
    # A test that calls the command in its own process and reads the
    # in-memory layer itself sets this to () around the call.
    local_backends = PROCESS_LOCAL_BACKENDS
    unreachable_hint = "Point the settings at the channel layer your servers use."

    def execute(self, *args, **options):
        try:
            check_shared(self.channel_layer_alias, self.local_backends)
        except LayerUnreachable as error:
            raise CommandError("%s. %s" % (error, self.unreachable_hint))
        return super().execute(*args, **options)
