"""channels_kit.operations.supervise without a split: the Procfile it reads, the restart schedule."""
import os
import shlex
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


def web(tmp_path, name):
    """A stand-in daphne: says it listens unless ``refuse`` exists, then runs until signalled."""
    script = "if [ -e %s ]; then exit 3; fi; echo Listening on endpoint; exec sleep 60" % (
        tmp_path / "refuse")
    return supervise.Supervised(name, "sh -c " + shlex.quote(script), dict(os.environ))


def step_until(restart, predicate, what):
    wait_for(lambda: restart.step(time.monotonic()) or predicate(), 20, what)


def test_a_rolling_restart_stops_each_web_only_once_its_successor_listens(monkeypatch, tmp_path):
    said = []
    monkeypatch.setattr(supervise, "say", lambda name, text: said.append(text))
    webs = [web(tmp_path, "web.1"), web(tmp_path, "web.2")]
    try:
        for process in webs:
            process.start()
        first = [process.popen for process in webs]
        restart = supervise.RollingRestart(webs)
        restart.step(time.monotonic())
        assert webs[0].popen is not first[0] and first[0].poll() is None  # both run a moment
        assert first[1].poll() is None and webs[1].popen is first[1]  # one at a time
        step_until(restart, lambda: restart.finished, "the rolling restart")
        assert [popen.returncode for popen in first] == [-15, -15]  # SIGTERM, each
        assert all(process.alive() for process in webs)
        order = [text for text in said if "listens" in text or "exited" in text]
        assert [text.split(":")[1].split()[0] for text in order] == ["web.1", "pid", "web.2", "pid"]
        assert said[-1] == "rolling restart done"
    finally:
        for process in webs:
            process.signal(9)


def test_a_successor_that_does_not_start_leaves_its_predecessor_serving(monkeypatch, tmp_path):
    monkeypatch.setattr(supervise, "say", lambda name, text: None)
    webs = [web(tmp_path, "web.1"), web(tmp_path, "web.2")]
    try:
        for process in webs:
            process.start()
        first = [process.popen for process in webs]
        wait_for(lambda: all(process.ready.is_set() for process in webs), 20, "both to listen")
        (tmp_path / "refuse").write_text("")
        restart = supervise.RollingRestart(webs)
        step_until(restart, lambda: restart.finished, "the rolling restart to give up")
        assert [process.popen for process in webs] == first
        assert all(popen.poll() is None for popen in first)  # neither was stopped
    finally:
        for process in webs:
            process.signal(9)
