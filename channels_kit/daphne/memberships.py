"""Daphne's side of group memberships: keep its open sockets' fresh, prune a dead daphne's.

Only the daphne knows which of its sockets are open, so it is the daphne
that, every ``period`` seconds, hands its open reply channels to the layer's
``keep_members`` (``channels_kit/layer/memberships.py``): that beats for it,
rescores its sockets' memberships and forgets those of sockets that closed.
The same tick sweeps the memberships of daphnes whose beat is older than
``silent_periods`` periods: a daphne that was killed never said goodbye.

So a member of a dead daphne leaves its groups at most ``prune_bound()``
seconds after the daphne's last beat, as long as one daphne still runs; the
work of a tick is one trip per shard for this daphne's memberships, plus
the sweep. The tick runs in a thread of its own, on the layer's clients, so
a slow Redis never stalls the reactor.

What a tick prunes it also hands to ``channels_kit.presence``, which drops
those sockets' presence and tells their groups who left, and counts on
``/metrics``: memberships refreshed, and pruned by why.
"""
import logging
import threading

from channels_kit import presence
from channels_kit.layer.roles import KeepsMemberships, layer_that
from channels_kit.metrics.families import MEMBERSHIPS_PRUNED, MEMBERSHIPS_REFRESHED
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)


class MembershipKeeper:
    """A daphne's periodic beat, refresh and sweep of group memberships."""

    # The longest wait between two ticks; shorter when group_expiry is short,
    # so a membership is rescored at least three times before it would lapse.
    most_every = 10.0
    # Periods without a beat after which a daphne counts as dead.
    silent_periods = 3
    # Seconds daphne lets a socket live, once memberships no longer bound it:
    # daphne's own default for a layer without group_expiry.
    socket_lifetime = 86400

    def __init__(self, layer, sockets):
        # The kit's Redis layer, and daphne's live dict of open sockets by reply channel.
        self.layer, self.sockets = layer, sockets
        # Seconds between ticks.
        self.period = min(self.most_every, layer.group_expiry / 3.0)
        # Set to end the thread (tests).
        self.stopped = threading.Event()

    @classmethod
    def start_for(cls, layer, sockets):
        """Start keeping memberships if ``layer`` can; returns the keeper, or None."""
        backend = layer_that(KeepsMemberships, layer)
        if backend is None:
            return None
        keeper = cls(backend, sockets)
        threading.Thread(target=keeper.run, name="membership-keeper", daemon=True).start()
        return keeper

    def prune_bound(self):
        """Seconds from a daphne's last beat until its members have left their groups."""
        return (self.silent_periods + 1) * self.period

    def run(self):
        while not self.stopped.wait(self.period):
            self.tick()

    def tick(self):
        try:
            # list() of a dict is one step under the GIL: the reactor's writes cannot tear it.
            kept = self.layer.keep_members(set(list(self.sockets)), self.pruned("socket_closed"))
            departed = self.layer.sweep_departed(self.silent_periods * self.period,
                                                 self.pruned("daphne_departed"))
        except REDIS_DOWN as error:
            logger.warning("could not keep group memberships fresh: %s", error)
            return
        MEMBERSHIPS_REFRESHED.inc(kept)
        if departed:
            logger.info("pruned the group memberships of departed daphnes %s", ", ".join(departed))

    def pruned(self, why):
        """What the layer calls with memberships it took out: count them, end their presence."""
        def forget(memberships):
            presence.forget(memberships, self.layer)
            MEMBERSHIPS_PRUNED.labels(why).inc(len(memberships))
        return forget
