"""A split's process logs start empty, so a wait for a log line cannot pass on an earlier run's."""

from channels_kit.testing.split import Split
from tests.support.paths import ROOT


def test_a_new_split_empties_the_logs_an_earlier_run_left(tmp_path):
    stale = "Listening on endpoint fd:fileno=3\nListening on channels\n"
    for name in ("web.1", "worker.1"):
        (tmp_path / (name + ".log")).write_text(stale)
    split = Split(workers=1, log_dir=str(tmp_path), root=ROOT)
    assert [p.log() for p in split.webs + split.workers] == ["", ""]


def test_a_restarted_process_keeps_its_earlier_lines(tmp_path):
    split = Split(workers=1, log_dir=str(tmp_path), root=ROOT)
    worker = split.workers[0]
    worker.cmd = "echo first life"
    worker.start()
    worker.popen.wait()
    worker.cmd = "echo second life"
    worker.start()
    worker.popen.wait()
    assert worker.log() == "first life\nsecond life\n"
