"""``runworker`` that waits out Redis instead of dying with it.

Stock Channels 1.x runworker exits with code 1 when the layer's Redis is not
reachable: at start-up, before Redis listens, and whenever Redis restarts.
Under a process runner that takes the whole group down; in production it
leaves the split without workers until something restarts them. This command
keeps the stock behaviour and options and only adds the retry: on a Redis
connection error it logs once per outage, polls, and starts listening again.
"""
import logging
import time

from channels.management.commands.runworker import Command as StockRunworker
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger("channels_example.runworker")

RETRY_SECONDS = 0.5


class Command(StockRunworker):
    help = StockRunworker.help + " Survives Redis restarts."

    def handle(self, *args, **options):
        waiting = False
        while True:
            started = time.monotonic()
            try:
                return super().handle(*args, **options)
            except RedisConnectionError as error:
                # A run that lasted had reached Redis: this is a new outage.
                if not waiting or time.monotonic() - started > 1.0:
                    logger.warning("Redis unavailable (%s); worker waiting for it", error)
                waiting = True
                time.sleep(RETRY_SECONDS)
