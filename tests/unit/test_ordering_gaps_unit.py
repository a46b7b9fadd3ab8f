"""GapSweeper frees stuck sockets only after a worker was lost, and not long after."""
import time

from channels_kit.worker.ordering_gaps import GapSweeper, reply_channel_of


class Records:
    """The layer's answers: when a worker was last lost, and which wait channels are stuck."""

    expiry = 60

    def __init__(self, lost_at):
        self.lost_at = lost_at
        self.claims = []

    def last_worker_lost(self, silent_for, remember):
        return self.lost_at

    def stalled_wait_channels(self, idle_for, claim):
        self.claims.append(claim)
        return ["__wait__.daphne.response.a?b"] if claim else []


def swept(lost_at):
    layer = Records(lost_at)
    sweeper = GapSweeper(layer)
    resolved = []
    sweeper.resolve = resolved.append
    sweeper.sweep()
    return layer.claims, resolved


def test_no_worker_lost_claims_nothing():
    assert swept(None) == ([False], [])


def test_a_loss_within_a_parked_messages_lifetime_frees_stuck_sockets():
    assert swept(time.time() - 30) == ([True], ["__wait__.daphne.response.a?b"])


def test_a_loss_older_than_any_parked_message_claims_nothing():
    assert swept(time.time() - 120) == ([False], [])


def test_the_sweep_runs_at_most_once_per_interval():
    layer = Records(None)
    sweeper = GapSweeper(layer)
    for _ in range(5):
        sweeper.maybe_sweep()
    assert layer.claims == [False]


def test_the_reply_channel_is_the_one_the_wait_channel_was_named_for():
    assert reply_channel_of("__wait__.daphne.response.AbC?dEf") == "daphne.response.AbC!dEf"
