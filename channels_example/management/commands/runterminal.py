"""``runterminal``: the terminal service process (one per deployment; the Procfile's ``terminal``).

SIGTERM and SIGINT end every session with a status frame and close 4609,
then exit; a service killed outright has its sessions ended the same way by
the next one to start (channels_kit.worker.service).
"""
import signal

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from django.core.management.base import BaseCommand, CommandError

from channels_example.terminal.service import TerminalService
from channels_kit.layer.roles import RedisBacked, layer_that


class Command(BaseCommand):
    help = "Run the terminal service: the process that owns every SSH session."

    def add_arguments(self, parser):
        parser.add_argument("--layer", default=DEFAULT_CHANNEL_LAYER,
                            help="Channel layer alias to use (default %(default)s)")

    def handle(self, *args, **options):
        layer = layer_that(RedisBacked, channel_layers[options["layer"]])
        if layer is None:
            raise CommandError("the terminal service needs the Redis channel layer (set REDIS_URL)")
        service = TerminalService(layer)

        def stop(signum, frame):
            service.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        service.run()
