"""The runworker's outage loop, with the stock command and the layer stood in for."""
import pytest
from channels.management.commands.runworker import Command as StockRunworker
from redis.exceptions import BusyLoadingError, ConnectionError, TimeoutError

from channels_kit.management.commands import runworker


class FlakyLayer:
    """Answers the statistics probe only after ``failures`` errors."""

    def __init__(self, failures):
        self.failures = list(failures)

    def global_statistics(self):
        if self.failures:
            raise self.failures.pop(0)
        return {}


@pytest.fixture
def quick(monkeypatch):
    monkeypatch.setattr(runworker, "RETRY_SECONDS", 0)


@pytest.mark.parametrize("outage", [ConnectionError, TimeoutError, BusyLoadingError])
def test_worker_waits_out_the_outage_and_runs_again(monkeypatch, quick, outage):
    runs = []

    def stock_handle(self, *args, **options):
        runs.append(options)
        if len(runs) == 1:
            raise outage("redis went away")

    layer = FlakyLayer([outage("still down"), outage("still down")])
    monkeypatch.setattr(StockRunworker, "handle", stock_handle)
    monkeypatch.setattr(runworker, "channel_layers", {"default": layer})
    runworker.Command().handle(layer="default")
    assert len(runs) == 2
    assert layer.failures == []


def test_stop_signal_during_the_wait_ends_it(monkeypatch, quick):
    command = runworker.Command()

    class StopsWhilePolled(FlakyLayer):
        def global_statistics(self):
            command.stopping = True
            raise ConnectionError("down")

    def stock_handle(self, *args, **options):
        raise ConnectionError("down")

    monkeypatch.setattr(StockRunworker, "handle", stock_handle)
    monkeypatch.setattr(runworker, "channel_layers", {"default": StopsWhilePolled([])})
    assert command.handle(layer="default") is None  # returns: the process exits 0
