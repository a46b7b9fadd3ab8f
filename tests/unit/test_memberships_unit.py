"""Group memberships: who owns a channel, how often a daphne ticks, and what it hands the layer.

The Redis side (rescoring, forgetting, sweeping) runs against a real
redis-server in test_group_memberships_e2e.py.
"""
import json
import os
import subprocess
import sys

import redis

from channels_kit.daphne import wrap_layer
from channels_kit.daphne.memberships import MembershipKeeper
from channels_kit.layer import RedisChannelLayer
from channels_kit.layer.memberships import owner_of
from tests.support.paths import ROOT

NOWHERE = ["redis://127.0.0.1:9/0"]


class RecordingLayer:
    """Stands in for the Redis layer: records what the keeper asks of it."""

    def __init__(self, group_expiry=86400, down=False):
        self.group_expiry, self.down, self.calls = group_expiry, down, []

    def keep_members(self, open_channels, pruned=None):
        if self.down:
            raise redis.exceptions.ConnectionError("refused")
        self.calls.append(("keep", open_channels))
        return 0

    def sweep_departed(self, silent_for, pruned=None):
        self.calls.append(("sweep", silent_for))
        return []


def test_a_daphne_reply_channel_is_owned_by_its_process_prefix():
    assert owner_of("daphne.response.AbCd!eFgH") == "daphne.response.AbCd!"
    assert owner_of("room-news") is None


def test_ticks_come_three_times_per_group_expiry_but_never_rarer_than_the_cap():
    assert MembershipKeeper(RecordingLayer(group_expiry=6), {}).period == 2
    long_lived = MembershipKeeper(RecordingLayer(group_expiry=86400), {})
    assert long_lived.period == MembershipKeeper.most_every
    assert long_lived.prune_bound() == (MembershipKeeper.silent_periods + 1) * long_lived.period


def test_a_tick_hands_over_the_open_sockets_then_sweeps_the_silent():
    layer = RecordingLayer(group_expiry=6)
    sockets = {"daphne.response.a!1": object(), "daphne.response.a!2": object()}
    MembershipKeeper(layer, sockets).tick()
    assert layer.calls == [("keep", set(sockets)), ("sweep", 3 * 2)]


def test_a_tick_while_redis_is_down_is_skipped_not_fatal():
    layer = RecordingLayer(down=True)
    MembershipKeeper(layer, {"daphne.response.a!1": object()}).tick()
    assert layer.calls == []


def test_daphne_over_the_kit_layer_keeps_sockets_a_day_not_group_expiry(monkeypatch):
    """daphne closes sockets older than its layer's group_expiry unless told otherwise."""
    monkeypatch.setattr(MembershipKeeper, "run", lambda keeper: None)  # no thread left ticking
    served = wrap_layer(RedisChannelLayer(hosts=NOWHERE, group_expiry=6))
    assert served.group_expiry == MembershipKeeper.socket_lifetime


def test_channel_group_expiry_from_the_environment_reaches_the_layer():
    code = ("from django.conf import settings; import json; "
            "print(json.dumps(settings.CHANNEL_LAYERS['default']['CONFIG'].get('group_expiry')))")

    def group_expiry(**extra):
        env = {name: value for name, value in os.environ.items() if name != "CHANNEL_GROUP_EXPIRY"}
        env.update(REDIS_URL="redis://127.0.0.1:6390/0", RUN_ENV_FILE="", **extra)
        result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                                env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    assert group_expiry(CHANNEL_GROUP_EXPIRY="45") == 45
    assert group_expiry() is None  # asgi_redis's own default applies
