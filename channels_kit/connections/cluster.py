"""Redis Cluster for redis-py 2.10: clients that send each command to the master serving its keys.

redis-py 2.10 (the version asgi_redis pins) has no cluster client. The
kit's keys carry hash tags, so every command, script call and pipeline the
layer sends touches one slot; what it needs is a map from slots to masters
that stays true while the cluster changes under it:

- ``MOVED``: the slot has a new master for good. The map is read again
  (``CLUSTER SLOTS``) and the command goes there.
- ``ASK``: the slot is being moved and this key is at the target already.
  The command goes there once, after ``ASKING``.
- ``TRYAGAIN``: a command over several keys (every script call) whose keys
  are split between the two ends of a slot being moved. It is sent again
  after a short pause, until the move is done; a move that takes longer
  than ``settle_seconds`` fails the call with a ``ConnectionError``, an
  outage to its caller.
- A master that does not answer: the map is read again from any node that
  answers. If it names the replica promoted in its place, the command goes
  there; until then, and on ``CLUSTERDOWN``, the call fails with a
  ``ConnectionError``: what callers already do for a Redis that went away
  (hold, retry, report) applies.
- ``NOSCRIPT`` from a master that never saw a script (a promoted replica,
  the target of a moved slot): the script is loaded there and sent again.

Commands without keys (``PING``, ``SCAN``, ``INFO``) go to the master of
the client's home slot; ``SCRIPT LOAD`` goes to every master.
"""
import threading
import time

import redis

from channels_kit.connections import redis_urls
from channels_kit.connections.cluster_slots import SLOTS, slot_of

# Commands whose first argument is not a key.
KEYLESS = frozenset(("PING", "INFO", "SCRIPT", "CLUSTER", "SCAN", "KEYS", "DBSIZE", "FLUSHDB",
                     "FLUSHALL", "TIME", "ECHO", "MULTI", "EXEC", "DISCARD", "CLIENT", "CONFIG",
                     "WAIT", "READONLY", "ASKING", "ROLE", "MEMORY", "LASTSAVE", "SLOWLOG"))


def first_word(args):
    """The command's name, upper case (redis-py passes some as two words: ``"SCRIPT LOAD"``)."""
    return (args[0] if isinstance(args[0], str) else args[0].decode()).split()[0].upper()


def first_key(args):
    """The first key a command names, or None (``args`` as redis-py's ``execute_command`` gets them)."""
    name = first_word(args)
    if name in ("EVAL", "EVALSHA"):
        return args[3] if len(args) > 3 and int(args[2]) > 0 else None
    if name in ("XREAD", "XREADGROUP"):
        upper = [str(arg).upper() for arg in args]
        return args[upper.index("STREAMS") + 1] if "STREAMS" in upper else None
    if name in KEYLESS or len(args) < 2:
        return None
    return args[1]


def redirect(error):
    """``(kind, slot, (host, port))`` for a MOVED or ASK reply, ``(kind, None, None)`` for the others, else None."""
    words = str(error).split()
    if not words:
        return None
    kind = words[0]
    if kind in ("MOVED", "ASK") and len(words) == 3:
        host, _, port = words[2].rpartition(":")
        return kind, int(words[1]), (host, int(port))
    if kind in ("TRYAGAIN", "CLUSTERDOWN"):
        return kind, None, None
    return None


class Cluster:
    """One cluster's slot map and a redis-py client per master, shared by the clients of one process part.

    ``urls`` name any of its nodes (``redis://`` or ``rediss://``); the
    first one's user, password and TLS options are used for every node.
    """

    # How long a call keeps following redirects while its slot is being moved (seconds).
    settle_seconds = 3.0
    # The pause before each new try, doubled up to the maximum (seconds).
    retry_pause = 0.005
    retry_pause_max = 0.1
    # Redirects one pipeline follows before it gives up (a map changing faster than that is broken).
    redirects_max = 16
    # The least time between two readings of the map after failed calls (seconds).
    refresh_every = 0.5
    # How long connecting to a node may take: a master that died may not refuse, only keep silent.
    connect_timeout = 2.0

    def __init__(self, urls, connection_class=redis_urls.Connection, redis_class=redis.StrictRedis,
                 **pool_options):
        options = [redis_urls.connection_options(url) for url in urls]
        # Login and TLS options every node's connections use (the first URL's).
        self.login = {name: options[0][name] for name in ("username", "password", "tls")}
        # Where to ask for the map when no known master answers: the given nodes.
        self.seeds = [(option["host"], option["port"]) for option in options]
        self.connection_class, self.redis_class = connection_class, redis_class
        # Other options for every pool (timeouts and the like).
        self.pool_options = dict({"socket_connect_timeout": self.connect_timeout}, **pool_options)
        # slot -> (host, port) of its master, as the cluster last said; None until asked.
        self.masters = None
        # (host, port) -> redis-py client of that node.
        self.nodes = {}
        # sha -> script text, for loading on a master that lacks it.
        self.scripts = {}
        # One thread reads the map at a time; when one last began to (time.monotonic()).
        self.lock = threading.Lock()
        self.refreshed_at = float("-inf")
        # Why the last reading of the map failed, None after one that worked.
        self.refresh_error = None
        # A pool that never connects: the encoder and connection options clients report.
        self.template_pool = self._pool(self.seeds[0])

    ### Nodes and the map ###

    def _pool(self, address):
        return redis.ConnectionPool(connection_class=self.connection_class, host=address[0],
                                    port=address[1], db=0, **self.login, **self.pool_options)

    def node(self, address):
        """The client of the node at ``address``, made on first use."""
        client = self.nodes.get(address)
        if client is None:
            client = self.nodes.setdefault(address, self.redis_class(connection_pool=self._pool(address)))
        return client

    def master_of(self, slot):
        """``(host, port)`` of the master serving ``slot``, reading the map first if it is not known."""
        return self._known_masters()[slot]

    def master_addresses(self):
        return sorted(set(self._known_masters()) - {None})

    def _known_masters(self):
        """The map, read first if it is not known; no node is asked again within ``refresh_every``.

        While no node answers (a wrong password, every node down) each call
        would otherwise try every node, TLS handshakes included.
        """
        if self.masters is None:
            if self.refresh_error is not None and \
                    time.monotonic() - self.refreshed_at < self.refresh_every:
                raise self.refresh_error
            self.refresh()
        return self.masters

    def refresh(self):
        """Read the slot map from the first node that answers: known masters first, then the seeds."""
        with self.lock:
            self.refreshed_at = time.monotonic()
            tried = list(dict.fromkeys((self.master_addresses_known() + self.seeds)))
            error = None
            for address in tried:
                try:
                    ranges = self.node(address).execute_command("CLUSTER", "SLOTS")
                except redis.exceptions.RedisError as failed:
                    error = failed
                    continue
                self.masters, self.refresh_error = self._map(ranges, address), None
                return
            self.refresh_error = redis.exceptions.ConnectionError(
                "no node of the Redis cluster answers (%s): %s"
                % (", ".join("%s:%s" % address for address in tried), error))
            raise self.refresh_error

    def master_addresses_known(self):
        return sorted(set(self.masters) - {None}) if self.masters else []

    @staticmethod
    def _map(ranges, asked):
        masters = [None] * SLOTS
        for first, last, master, *_ in ranges:
            host = master[0].decode() if isinstance(master[0], bytes) else master[0]
            address = (host or asked[0], int(master[1]))
            masters[first:last + 1] = [address] * (last - first + 1)
        return masters

    def refresh_quietly(self):
        """``refresh``, for a call that is failing anyway: a map that cannot be read now is read later."""
        try:
            self.refresh()
        except redis.exceptions.RedisError:
            self.masters = None

    def refresh_soon(self):
        """``refresh_quietly``, unless the map was read less than ``refresh_every`` ago (calls failing in a row)."""
        if time.monotonic() - self.refreshed_at >= self.refresh_every:
            self.refresh_quietly()

    ### Calls ###

    def call(self, slot, args, options):
        """Send one command for ``slot``'s keys, following the cluster's redirects (see the module).

        It keeps following them for ``settle_seconds`` at most: a slot moves
        in less, and a map that changes for longer is broken.
        """
        target, asking, pause = None, False, self.retry_pause
        deadline = time.monotonic() + self.settle_seconds
        while True:
            address = target or self.master_of(slot)
            try:
                return self._send(self.node(address), args, options, asking)
            except redis.exceptions.ConnectionError:
                if not self._failed_over(slot, address) or time.monotonic() > deadline:
                    raise
                target, asking = None, False
            except redis.exceptions.NoScriptError:
                if first_word(args) != "EVALSHA" or args[1] not in self.scripts:
                    raise
                self.node(address).execute_command("SCRIPT", "LOAD", self.scripts[args[1]])
                target = address
            except redis.exceptions.ResponseError as error:
                target, asking, pause = self._follow(error, deadline, pause)

    def _failed_over(self, slot, address):
        """After ``address`` did not answer: whether the map now names another master for ``slot``.

        redis-py has already tried once more on a new connection, so a
        master that does not answer is gone; the command goes to the
        replica promoted in its place, if the cluster has promoted one.
        """
        self.refresh_soon()
        return self.masters is not None and self.masters[slot] not in (None, address)

    def _follow(self, error, deadline, pause):
        """Where to send next after ``error``: (address or None for the map's, ASKING first?, next pause)."""
        found = redirect(error)
        if found is None:
            raise error
        if time.monotonic() > deadline:  # a move that takes this long is an outage to its callers
            raise redis.exceptions.ConnectionError("slot still moving after %gs: %s"
                                                   % (self.settle_seconds, error))
        kind, slot, address = found
        if kind == "ASK":
            return address, True, pause
        if kind == "MOVED":
            self.refresh_quietly()
            if self.masters is not None:
                self.masters[slot] = address
            return None, False, pause
        if kind == "CLUSTERDOWN":
            self.refresh_quietly()
            raise redis.exceptions.ConnectionError("the Redis cluster is down: %s" % error)
        time.sleep(pause)  # TRYAGAIN: the move is under way
        return None, False, min(pause * 2, self.retry_pause_max)

    @staticmethod
    def _send(client, args, options, asking):
        if not asking:
            return client.execute_command(*args, **options)
        pipeline = client.pipeline(transaction=False)
        pipeline.execute_command("ASKING")
        pipeline.execute_command(*args, **options)
        # Not raised by the pipeline: it would rewrite the error's text, which says what to do next.
        answer = pipeline.execute(raise_on_error=False)[1]
        if isinstance(answer, redis.exceptions.RedisError):
            raise answer
        return answer

    def pipe(self, slot, stack, transaction):
        """Run a pipeline's ``[(args, options), ...]`` on ``slot``'s master; commands redirected go again alone.

        Returns the results, errors in place, as redis-py's
        ``execute(raise_on_error=False)`` does.
        """
        for _ in range(self.redirects_max):
            address = self.master_of(slot)
            pipeline = self.node(address).pipeline(transaction=transaction)
            pipeline.command_stack = list(stack)
            try:
                results = pipeline.execute(raise_on_error=False)
            except redis.exceptions.ConnectionError:
                if not self._failed_over(slot, address):
                    raise
                continue
            except redis.exceptions.ResponseError as error:  # a transaction with a redirected command
                if redirect(error) is None:
                    raise
                self._follow(error, time.monotonic() + self.settle_seconds, self.retry_pause)
                continue
            return [self._again(result, command) for result, command in zip(results, stack)]
        raise redis.exceptions.ResponseError("the cluster redirected a pipeline more than %d times"
                                             % self.redirects_max)

    def _again(self, result, command):
        """A pipelined command's result, or its result sent again alone if it was redirected."""
        if not isinstance(result, redis.exceptions.ResponseError) or (
                redirect(result) is None and not isinstance(result, redis.exceptions.NoScriptError)):
            return result
        args, options = command
        key = first_key(args)
        try:
            return self.call(slot_of(key) if key is not None else 0, args, options)
        except redis.exceptions.ResponseError as error:
            return error

    def load_script(self, script):
        """SCRIPT LOAD on every master; the script is remembered for masters that join later."""
        sha = None
        for address in self.master_addresses():
            sha = self.node(address).execute_command("SCRIPT", "LOAD", script)
        sha = sha.decode() if isinstance(sha, bytes) else sha
        self.scripts[sha] = script
        return sha


class ClusterCommands:
    """A redis-py client whose commands go to the cluster's masters by their keys (a mixin).

    ``home_slot`` is where commands without keys go.
    """

    def __init__(self, cluster, home_slot=0):
        super().__init__(connection_pool=cluster.template_pool)
        self.cluster = cluster
        self.home_slot = home_slot

    def execute_command(self, *args, **options):
        if first_word(args) == "SCRIPT" and str(args[0]).upper().endswith("LOAD"):
            return self.cluster.load_script(args[1])
        key = first_key(args)
        return self.cluster.call(self.home_slot if key is None else slot_of(key), args, options)

    def register_script(self, script):
        registered = super().register_script(script)
        self.cluster.scripts[registered.sha] = script
        return registered

    def pipeline(self, transaction=True, shard_hint=None):
        return self.pipeline_class(self, transaction)

    def home(self):
        """The client of the master serving the home slot (for what one node answers: SCAN, INFO)."""
        return self.cluster.node(self.cluster.master_of(self.home_slot))

    def masters(self):
        """A client of every master, once each."""
        return [self.cluster.node(address) for address in self.cluster.master_addresses()]


class ClusterPipeline:
    """A pipeline sent to the master of its first key's slot (a mixin over redis-py's pipelines).

    The kit's pipelines touch one slot, or several slots of one master; a
    command redirected after all is sent again alone.
    """

    def __init__(self, client, transaction):
        super().__init__(client.connection_pool, client.response_callbacks, transaction, None)
        self.client = client

    def execute(self, raise_on_error=True):
        stack, scripts = self.command_stack, self.scripts
        self.reset()
        if not stack:
            return []
        for script in scripts:
            self.client.cluster.scripts[script.sha] = script.script
        keys = (first_key(args) for args, _ in stack)
        key = next((key for key in keys if key is not None), None)
        slot = self.client.home_slot if key is None else slot_of(key)
        results = self.client.cluster.pipe(slot, stack, self.transaction)
        if raise_on_error:
            for result in results:
                if isinstance(result, redis.exceptions.ResponseError):
                    raise result
        return results


class StrictClusterPipeline(ClusterPipeline, redis.client.StrictPipeline):
    pass


class LegacyClusterPipeline(ClusterPipeline, redis.client.Pipeline):
    pass


class StrictClusterClient(ClusterCommands, redis.StrictRedis):
    pipeline_class = StrictClusterPipeline


class LegacyClusterClient(ClusterCommands, redis.Redis):
    """For asgi_redis's calls, written for redis-py's legacy ``Redis`` (``zadd(**scores)``)."""

    pipeline_class = LegacyClusterPipeline


def client(cluster, home_slot=0):
    """A client of ``cluster`` whose keyless commands go to ``home_slot``'s master.

    It is of the cluster's ``redis_class``' kind, whose answers its nodes' clients parse.
    """
    legacy = issubclass(cluster.redis_class, redis.Redis)
    return (LegacyClusterClient if legacy else StrictClusterClient)(cluster, home_slot)
