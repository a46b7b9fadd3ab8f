"""Publishing from another process through the real split: a rollback reaches nobody, a commit once.

A shell beside the split (another process, as a task or cron job would be)
saves live values inside transactions; the /live/ binding publishes each
change when its transaction commits, so a subscriber on daphne hears the
committed change once and never the rolled-back one.
"""
from tests.support.wire import recv_json

SAVE_TWICE = """
from django.db import transaction
from channels_example.models import LiveValue

class Undo(Exception):
    pass

try:
    with transaction.atomic():
        LiveValue.objects.create(name="published", value="rolled back")
        raise Undo()
except Undo:
    pass
with transaction.atomic():
    LiveValue.objects.create(name="published", value="committed")
"""


def test_a_rolled_back_save_reaches_no_socket_and_a_committed_one_reaches_it_once(split, ws):
    subscriber = ws("/live/")
    assert recv_json(subscriber)["payload"]["action"] == "snapshot"
    split.manage("shell", "-c", SAVE_TWICE)
    first = recv_json(subscriber)["payload"]
    assert (first["action"], first["data"]["value"]) == ("create", "committed")
    # A marker sent after the shell is done: nothing else may arrive before it.
    split.manage("setvalue", "published-marker", "after")
    assert recv_json(subscriber)["payload"]["data"]["name"] == "published-marker"

