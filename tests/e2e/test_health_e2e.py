"""``GET /health/`` through a split of its own, with Redis and then the database broken."""
import time

import pytest

from tests.support.splits import health, running_split


@pytest.fixture
def own_split(tmp_path):
    with running_split("health", tmp_path) as running:
        yield running


def health_becomes(split, status, within):
    deadline = time.monotonic() + within
    while True:
        answer = health(split)
        if answer[0] == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def test_healthy_split_answers_200(own_split):
    assert health(own_split) == (200, {"redis": "ok", "db": "ok"})


def test_redis_down_answers_503_naming_redis_then_recovers(own_split):
    own_split.redis.stop()
    status, body = health_becomes(own_split, 503, within=15)
    assert status == 503
    assert body["redis"].startswith("error: ConnectionError")
    own_split.start_redis()
    assert health_becomes(own_split, 200, within=15) == (200, {"redis": "ok", "db": "ok"})


def test_database_unreadable_answers_503_naming_the_db(own_split):
    with open(own_split.env["DATABASE_PATH"], "wb") as db:
        db.write(b"this is not an SQLite database" * 1000)
    status, body = health(own_split)
    assert status == 503
    assert body["redis"] == "ok"
    assert body["db"].startswith("error: DatabaseError")
