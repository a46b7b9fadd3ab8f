"""The hash slot of a key, as Redis Cluster computes it (the e2e test asks a live server too)."""
import pytest

from channels_kit.connections.cluster_slots import SLOTS, slot_of


@pytest.mark.parametrize("key, slot", [
    ("foo", 12182),
    ("bar", 5061),
    ("somekey", 11058),
    ("foo{hash_tag}", 2515),
    ("", 0),
])
def test_known_slots(key, slot):
    assert slot_of(key) == slot


def test_keys_sharing_a_hash_tag_share_a_slot():
    assert slot_of("{user1000}.following") == slot_of("{user1000}.followers") == slot_of("user1000")


@pytest.mark.parametrize("key, hashed", [
    ("foo{}{bar}", "foo{}{bar}"),  # an empty tag counts for nothing: the whole key is hashed
    ("foo{{bar}}zap", "{bar"),  # from the first "{" to the first "}" after it
    ("foo{bar}{zap}", "bar"),  # only the first tag
    ("}{tag}", "tag"),
    ("{unclosed", "{unclosed"),
])
def test_the_hash_tag_rule(key, hashed):
    assert slot_of(key) == slot_of(hashed)


def test_text_is_hashed_as_its_utf8_bytes():
    assert slot_of("café") == slot_of("café".encode("utf-8"))
    assert all(0 <= slot_of(b"\xff" * n) < SLOTS for n in range(50))
