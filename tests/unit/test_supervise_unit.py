"""channels_kit.operations.supervise without a split: the Procfile it reads, the restart schedule."""
import os
import time

from channels_kit.operations import supervise
from channels_kit.testing.split import wait_for
from tests.support.paths import ROOT


def test_procfile_expands_as_honcho_start_does(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    processes = supervise.processes_from(os.path.join(ROOT, "Procfile"), ["redis", "worker", "web"],
                                         supervise.concurrency("worker=3"))
    assert [p.name for p in processes] == ["web.1", "worker.1", "worker.2", "worker.3", "redis.1"]
    assert processes[0].env["PORT"] == "8123"  # daphne's -p (unless DAPHNE_PORT is set)
    assert processes[0].cmd.startswith("python -m channels_kit.operations.reuseport daphne ")


def test_a_process_that_keeps_dying_is_restarted_with_a_doubling_delay(monkeypatch):
    monkeypatch.setattr(supervise, "say", lambda name, text: None)
    process = supervise.Supervised("flaky.1", "sh -c 'exit 3'", dict(os.environ))
    delays = []
    for _ in range(7):
        process.start()
        wait_for(lambda: not process.alive(), 10, "the process to exit")
        now = time.monotonic()
        process.check(now)  # notices the exit
        delays.append(round(process.restart_at - now))
        process.check(now + 0.5)  # not yet: still down
        assert not process.alive() and process.popen.returncode == 3
    assert delays == [1, 2, 4, 8, 16, 30, 30]


def test_a_process_that_ran_a_while_is_restarted_after_the_first_delay(monkeypatch):
    monkeypatch.setattr(supervise, "say", lambda name, text: None)
    process = supervise.Supervised("steady.1", "true", dict(os.environ))
    process.delay = 16  # as after several quick deaths
    process.start()
    wait_for(lambda: not process.alive(), 10, "the process to exit")
    now = process.started_at + supervise.STABLE_AFTER
    process.check(now)
    assert process.restart_at == now + supervise.FIRST_DELAY
    process.check(process.restart_at)  # its time has come: started again
    assert process.restart_at is None
    process.popen.wait(10)
