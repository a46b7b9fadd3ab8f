"""How the soak books a frame nobody received: which fault can explain it, and how many.

The books decide whether the soak passes, so a wrong excuse would hide a
real loss and a missing one would fail a run that lost nothing unexplained.
"""
import collections

from bench import soak
from channels_kit.worker.batches import BatchWorker

KILL = 1000.0


def books_with(lost, told=(), kills=(KILL,), redis_stops=()):
    """Books where every frame in ``lost`` ((frame id, kind, socket id, sent at)) went unanswered."""
    books = soak.Books()
    books.started = KILL - 50
    for frame_id, kind, socket_id, sent_at in lost:
        books.sent[frame_id] = (kind, socket_id, sent_at)
    books.told_lost.update(told)
    books.kills.extend(kills)
    books.redis_stops.extend(redis_stops)
    return books


def rows_of(books):
    rows, _ = soak.classify(books)
    return collections.Counter({row: count for row, count in rows.items() if count})


def test_one_kill_can_lose_frames_of_several_sockets_in_one_batch():
    books = books_with([("echo0:5", "echo", "echo0-1", KILL - 0.1),
                        ("room3:957", "room", "room3-a", KILL - 0.05)], told={"room3-a"})
    assert rows_of(books) == {soak.HELD: 1, soak.TOLD: 1}


def test_a_kill_explains_no_more_than_the_batch_a_worker_takes():
    lost = [("echo%d:1" % n, "echo", "echo%d-1" % n, KILL - 0.01 * n)
            for n in range(BatchWorker.batch + 1)]
    assert rows_of(books_with(lost)) == {soak.HELD: BatchWorker.batch, soak.LOST: 1}


def test_a_room_frame_nobody_was_told_about_parks_the_ones_after_it():
    lost = [("room1:%d" % n, "room", "room1-a", KILL - 0.5 + n) for n in range(4)]
    assert rows_of(books_with(lost)) == {soak.HELD: 1, soak.PARKED: 3}


def test_a_frame_far_from_any_fault_is_lost_without_a_reason():
    books = books_with([("echo0:9", "echo", "echo0-1", KILL + 10),
                        ("echo1:9", "echo", "echo1-1", KILL + 20)], redis_stops=[KILL + 20.5])
    assert rows_of(books) == {soak.LOST: 1, soak.IN_REDIS: 1}


def test_a_frame_sent_after_the_worker_died_was_not_held_by_it():
    books = books_with([("echo0:7", "echo", "echo0-1", KILL + 0.01)])
    assert rows_of(books) == {soak.LOST: 1}


def test_a_frame_sent_once_redis_was_gone_was_not_inside_it():
    books = books_with([("echo0:8", "echo", "echo0-1", KILL + 30.01)], redis_stops=[KILL + 30])
    assert rows_of(books) == {soak.LOST: 1}
