"""Daphne's side of the layer: sends from its reactor, and its native (Twisted) receive.

Daphne 1.4 sends every frame it reads with a blocking call from its reactor
thread, and asgi_redis's ``receive_twisted`` builds a new txredisapi pool of
ten connections for every message (daphne's other mode polls and sleeps
50 ms whenever its list is empty). Here:

- ``receive_twisted`` keeps ONE connection per Redis host for the life of
  the process: a BLPOP, then one script that takes the message and up to
  ``twisted_batch`` more from process-local (``!``) channels, which only
  this process reads.
- daphne's own sends go out on a second connection without blocking its
  reactor while the channel is far from full.
- every send is reported to whoever registered with ``report_to`` (daphne's
  flow control): where the message stands in its list, or that it was lost
  with the connection.

The layer becomes daphne's once, with ``serve_daphne``: when the flow
control registers for its reports, or when daphne first calls
``receive_twisted`` (from then on the reactor runs and its connections can
be used). A process that never does either (a worker) keeps the workers'
sends.
"""
import logging
from collections import deque

import redis
import txredisapi
from asgi_redis.twisted_utils import defer
from twisted.python import failure

from channels_kit.connections import cluster, redis_urls, sentinel
from channels_kit.layer.packing import HiredisPackedProtocol
from channels_kit.layer.roles import Reports

logger = logging.getLogger("channels_kit.layer")


class DaphneSide(Reports):
    """Reactor sends, reports of each send, and the Twisted receive, for daphne (a mixin)."""

    # Process-local messages fetched per script call in receive_twisted.
    twisted_batch = 100
    # txredisapi's reconnection delays (seconds): first retry, then growing
    # by e each time up to the maximum. Its defaults (1 s, 10 s) kept daphne
    # deaf for up to 10 s after a Redis restart.
    reconnect_delay = 0.1
    reconnect_delay_max = 0.5
    # After a failed receive, daphne's reader waits this long before its next
    # call; daphne itself would sleep 5 s.
    receive_retry_delay = 0.2

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Daphne's native mode began (serve_daphne): sends may go out
        # without waiting, on the reactor's connections.
        self.in_reactor = False
        # Daphne's txredisapi connections: host index -> receives, ("send", index) -> sends.
        self._twisted_connections = {}
        # Per list: its length as Redis last reported it, and sends not yet answered.
        self._list_lengths = {}
        self._unanswered = {}
        # Per (list, host index): (messages ever pushed, messages taken off) as
        # Redis last reported them; see still_queued.
        self._queue_marks = {}
        # Messages taken in a batch by receive_twisted and not yet handed out, per list.
        self._twisted_buffers = {}
        # receive_twisted's list names per tuple of process-local channels.
        self._local_list_names = {}
        # On Redis Cluster: the master each connection was made to, by the key of _twisted_connections.
        self._twisted_addresses = {}
        # Every reason daphne could not reach Redis that it has logged so far.
        self._refusals_logged = set()

    ### Reports ###

    def report_to(self, queued, send_lost):
        """Register daphne's flow control for every send's report; the layer is daphne's from now on."""
        super().report_to(queued, send_lost)
        self.serve_daphne(reactor=False)
        return self

    ### Sending ###

    def _send_from_reactor(self, channel, message):
        """Daphne's sends, without stopping its reactor for a round trip while there is room.

        Daphne 1.4 sends every frame it reads with a blocking call from its
        reactor thread: no socket is served while Redis answers. While the
        list's length (as Redis last reported it, plus this process's sends
        not yet answered) is under half its capacity, the send goes out on a
        txredisapi connection and the reactor carries on; the script still
        enforces the capacity, and a refusal is logged and counted like any
        other. Nearer to full, the send waits for Redis as before, so daphne
        still gets ChannelFull and closes the socket (1013 / 503).
        """
        connection, keys, args = self._send_call(channel, message)
        name, capacity = keys[1], args[2]
        queued = self._list_lengths.get(name, 0) + self._unanswered.get(name, 0)
        if queued >= capacity // 2:
            # The length Redis reports lets the next sends go asynchronous again.
            return self._send_and_place(channel, message, (connection, keys, args))
        index = self._connection_list.index(connection)
        twisted_connection = self._twisted_connection(("send", index))
        if not self._connected(twisted_connection):
            # Not (yet, or no longer) connected: txredisapi would hold the
            # send until it reconnects, out of anyone's sight. Waiting for
            # Redis instead raises at once while Redis is down.
            self._follow_failover(("send", index))
            return self._send_and_place(channel, message, (connection, keys, args))
        self._unanswered[name] = self._unanswered.get(name, 0) + 1
        sent = self._evalsha_twisted(twisted_connection, keys, args)
        sent.addBoth(self._answered, channel, name, index, message)

    def _evalsha_twisted(self, twisted_connection, keys, args):
        """send_counted by its hash, straight on the connection's one protocol.

        txredisapi's handler wraps every call in a closure and a generator
        that looks for a pooled connection, and its ``eval`` encodes and
        hashes the script again each time: a large share of daphne's CPU
        per echo went there (docs/performance.md has the figures). Each of
        daphne's connections here is a pool of one, so its protocol is the
        connection. Redis
        without the script (flushed, or restarted under the connection)
        gets it the way ``eval`` sends it, in the order of the replies.
        """
        pool = twisted_connection._factory.pool
        if not pool:
            return twisted_connection.eval(self.lua_send_counted, keys, args)
        sent = pool[0].execute_command("EVALSHA", self.send_counted.sha, len(keys), *keys, *args)
        return sent.addErrback(self._script_missing, twisted_connection, keys, args)

    def _script_missing(self, failed, twisted_connection, keys, args):
        if failed.check(txredisapi.ResponseError) and str(failed.value).startswith("NOSCRIPT"):
            return twisted_connection.eval(self.lua_send_counted, keys, args)
        return failed

    def _send_and_place(self, channel, message, call=None):
        """Send and wait for Redis, then tell ``on_queued`` where the message stands (or that it failed)."""
        connection, keys, args = call or self._send_call(channel, message)
        try:
            answer = self._send_now(channel, connection, keys, args)
        except BaseException:
            self._placed(channel, message, None)
            raise
        index = self._connection_list.index(connection)
        self._placed(channel, message, self._mark(keys[1], index, answer))

    def refresh_queued(self, channel):
        """Ask every host how far ``channel``'s list has been taken; a Deferred fired once all answered.

        ``still_queued`` (and the capacity estimate above) read the answers.
        Every send's answer brings the same news; this is for when daphne
        has nothing to send.
        """
        asked = []
        for index in self.shards_of(channel):
            name = self.key_prefixes[index] + channel
            counter = self.stats_prefixes[index] + channel + ":" + self.STAT_MESSAGES_COUNT
            connection = self._twisted_connection(("send", index))
            if self._connected(connection):
                answer = connection.eval(self.lua_queue_mark, [name, counter])
                # An error is an outage: the flow control hears of it on its own.
                asked.append(answer.addCallbacks(
                    lambda answer, index=index, name=name: self._mark(name, index, answer),
                    lambda failure, index=index: self._redirected(("send", index), failure)))
        return defer.DeferredList(asked)

    def sends_unanswered(self):
        """Sends made without waiting that Redis has not answered yet (a stopping daphne waits for them)."""
        return sum(self._unanswered.values())

    def still_queued(self, place):
        """Whether the message sent at ``place`` was still in its list when Redis last answered.

        A list is first in, first out, so once Redis has reported ``taken``
        messages taken off it, the messages pushed ``taken`` or earlier are
        gone. A place past every message pushed means the counter started
        again (Redis restarted or flushed): that message is gone too.
        """
        name, index, pushed_as = place
        pushed, taken = self._queue_marks.get((name, index), (0, 0))
        return taken < pushed_as <= pushed

    def _mark(self, name, index, answer):
        """Remember a list's length and push count from Redis; returns the place of its last message."""
        length, pushed = int(answer[0]), int(answer[1])
        self._list_lengths[name] = length
        self._queue_marks[name, index] = (pushed, pushed - length)
        return (name, index, pushed)

    def _answered(self, result, channel, name, index, message):
        self._unanswered[name] -= 1
        if not isinstance(result, failure.Failure):
            return self._placed(channel, message, self._mark(name, index, result))
        if self._redirected(("send", index), result):
            return self._send_again(channel, message)
        self._placed(channel, message, None)
        if result.check(txredisapi.ResponseError) and "full" in str(result.value):
            self._report_full(channel)
        elif result.check(txredisapi.ConnectionError) and self.on_send_lost is not None:
            self.on_send_lost(channel, message)
        else:
            logger.error("Send to %s lost: %s", channel, result.getErrorMessage())

    ### Receiving (daphne's twisted mode) ###

    def receive_twisted(self, channels):
        """One long-lived connection per host; batches for process-local channels.

        Daphne calls this in a loop, one call at a time, for its own
        ``daphne.response.<id>!`` channel. Each call that finds nothing in
        memory is one BLPOP (which returns at once if a message is waiting)
        and one script that takes the popped message and, because only this
        process reads a ``!`` channel, up to ``twisted_batch`` more queued
        behind it: two trips per burst, not three per message.

        A message already in memory is handed out as a fired Deferred, with
        the list names worked out once: asgi_redis's name checks and an
        inlineCallbacks generator cost daphne more per reply than the rest
        of this call.
        """
        if not self.in_reactor:
            self.serve_daphne(reactor=True)
        indexes = self._twisted_list_names(channels)
        if indexes is None:
            return defer.succeed((None, None))
        buffered = self._from_buffers(indexes)
        if buffered:
            return defer.succeed(buffered)
        return self._receive_twisted_from_redis(indexes)

    def _twisted_list_names(self, channels):
        """``_receive_list_names``, worked out once per list of process-local channels.

        Process-local channels live on the host their name hashes to, so the
        answer never changes; other channels rotate over the hosts.
        """
        key = tuple(channels)
        if not key or not all("!" in channel for channel in key):
            return self._receive_list_names(channels)
        if key not in self._local_list_names:
            self._local_list_names[key] = self._receive_list_names(channels)
        return self._local_list_names[key]

    @defer.inlineCallbacks
    def _receive_twisted_from_redis(self, indexes):
        for index, list_names in indexes.items():
            try:
                connection = self._twisted_connection(index)
            except redis.exceptions.ConnectionError as error:  # no node of the cluster gave its map
                self._log_once("Daphne cannot read the Redis cluster's slot map: %s" % error)
                yield self._pause(self.receive_retry_delay)
                defer.returnValue((None, None))
            if self.cluster and not self._connected(connection):
                # Its master is gone: a BLPOP would wait for it, unseen, after a
                # replica has taken its place. Ask again once the map moves it.
                self._follow_failover(index)
                yield self._pause(self.receive_retry_delay)
                defer.returnValue((None, None))
            popped = None
            try:
                popped = yield connection.blpop(list_names, timeout=self.blpop_timeout)
                if popped:
                    # Batches read keys a script does not declare: not on a cluster (worker_side).
                    local = all("!" in name for name in list_names) and not self.cluster
                    keys = [popped[1]] + (list_names if local else [])
                    args = [self.twisted_batch if local else 0]
                    found = yield connection.eval(self.lua_take, keys=keys, args=args)
            except txredisapi.ConnectionError:
                self._follow_failover(index)
                yield self._pause(self.receive_retry_delay)
                defer.returnValue((None, None))
            except txredisapi.ResponseError:
                if not self._redirected(index, failure.Failure()):
                    raise
                if not popped:  # its list is moving to another master: ask again shortly
                    yield self._pause(self.receive_retry_delay)
                    defer.returnValue((None, None))
                # Popped already: take its message where the cluster now keeps it.
                found = self.take(keys=keys, args=args, client=self.connection(index))
            if popped:
                self._buffer([popped[0], found[0]] + found[2:])
                buffered = self._from_buffers(indexes)
                if buffered:
                    defer.returnValue(buffered)
        defer.returnValue((None, None))

    def _twisted_connection(self, index):
        """The process's connection to host ``index`` (``("send", index)``: the one for sends)."""
        if index not in self._twisted_connections:
            host = index[1] if isinstance(index, tuple) else index
            kwargs = self.connection(host).connection_pool.connection_kwargs
            if self.cluster:
                # The master serving the shard now, with the cluster's login and TLS.
                server, port = self.cluster.master_of(self.connection(host).home_slot)
                kwargs = dict(self.cluster.login, host=server, port=port, db=0)
                self._twisted_addresses[index] = (server, port)
            if not self.cluster and sentinel.is_sentinel_url(self.hosts[host]):
                # Its db, login and TLS are the sentinel:// URL's, as for redis-py's clients.
                self._twisted_connections[index] = sentinel.twisted_master(
                    self.hosts[host], charset=None, convertNumbers=False,
                )
                manager = self._twisted_connections[index]._factory.sentinel_manager
                for watcher in manager.sentinels:
                    self._report_refusals(watcher._factory,
                                          "%s (a Sentinel)" % watcher._factory.uuid)
                address = "the master of %s" % sentinel.parse(self.hosts[host]).service
            else:
                server, tls = kwargs.get("host", "localhost"), kwargs.get("tls")
                address = "%s:%s" % (kwargs.get("host"), kwargs.get("port"))
                self._twisted_connections[index] = txredisapi.lazyConnection(
                    host=server, port=kwargs.get("port", 6379),
                    dbid=kwargs.get("db", 0), password=kwargs.get("password"),
                    username=kwargs.get("username"),
                    ssl_context_factory=redis_urls.twisted_tls(server, tls) if tls else False,
                    charset=None, convertNumbers=False,
                )
                # The factory builds its protocol when the connection is made (and
                # at every reconnect), after this call has returned.
                self._twisted_connections[index]._factory.protocol = HiredisPackedProtocol
            factory = self._twisted_connections[index]._factory
            factory.initialDelay, factory.maxDelay = self.reconnect_delay, self.reconnect_delay_max
            self._report_refusals(factory, address)
        return self._twisted_connections[index]

    def _report_refusals(self, factory, address):
        """Log why Redis refused daphne's connections (login, TLS), once per reason, and retry.

        txredisapi tells Twisted's log alone, which daphne does not show: a
        wrong password or certificate left daphne without its connections
        and without a word. Each reason is logged once per process, however
        many connections and retries meet it. A failed TLS handshake also
        fails the login queued behind it ("Lost connection"), which would
        only blur the cause, so that one is not logged.
        """
        from OpenSSL import SSL

        refused, build = factory.connectionError, factory.buildProtocol
        handshake_failed = []

        def say(why):
            self._log_once("Redis at %s refused daphne's connection: %s" % (address, why))

        def connection_error(why):
            if not handshake_failed:
                say(str(why))
            refused(why)

        def build_protocol(addr):
            protocol = build(addr)
            lost = protocol.connectionLost

            def connection_lost(reason):
                if reason.check(SSL.Error):
                    handshake_failed.append(True)
                    say("TLS handshake failed: %s" % reason.getErrorMessage())
                return lost(reason)

            protocol.connectionLost = connection_lost
            return protocol

        factory.connectionError, factory.buildProtocol = connection_error, build_protocol
        # txredisapi stops reconnecting for good after a refused login (a
        # failed handshake included), so fixing the password or certificate
        # on the server's side, or a server restarting under a TLS
        # handshake, would leave daphne deaf. The kit never quits these
        # connections, so refusals are retried like any lost connection.
        factory.stopTrying = lambda: defer.succeed(None)

    def _redirected(self, key, failed):
        """Whether ``failed`` is Redis Cluster's redirect; if so, connection ``key`` is made again where the map says.

        The call it failed did nothing, so its caller makes it again.
        """
        if not self.cluster or not failed.check(txredisapi.ResponseError) \
                or cluster.redirect(failed.value) is None:
            return False
        stale = self._twisted_connections.pop(key, None)
        if stale is not None:
            stale.disconnect()
        self.cluster.refresh_quietly()
        return True

    def _follow_failover(self, key):
        """On Redis Cluster, connection ``key``, which lost its master, moves to the one promoted in its place."""
        if not self.cluster:
            return
        self.cluster.refresh_soon()
        shard = key[1] if isinstance(key, tuple) else key
        master = self.cluster.masters and self.cluster.masters[self.connection(shard).home_slot]
        if master is not None and master != self._twisted_addresses.get(key):
            stale = self._twisted_connections.pop(key, None)
            if stale is not None:
                stale.disconnect()

    def _send_again(self, channel, message):
        """A reactor send the cluster redirected, sent again by the client that follows redirects."""
        try:
            self._send_and_place(channel, message)
        except self.ChannelFull:
            pass  # reported and counted like any refusal
        except redis.exceptions.ConnectionError:
            if self.on_send_lost is not None:
                self.on_send_lost(channel, message)

    def _log_once(self, line):
        """Log why daphne cannot reach Redis, once per reason: its connections retry every half second."""
        if line not in self._refusals_logged:
            self._refusals_logged.add(line)
            logger.error(line)

    @staticmethod
    def _connected(twisted_connection):
        return bool(twisted_connection._factory.size)

    @staticmethod
    def _pause(seconds):
        from twisted.internet import reactor, task
        return task.deferLater(reactor, seconds, lambda: None)

    def _buffer(self, found):
        """Keep [list, content, ...] in order, per list; expired contents (None) are skipped."""
        for i in range(0, len(found), 2):
            if found[i + 1] is not None:
                name = found[i].decode("utf8") if isinstance(found[i], bytes) else found[i]
                self._twisted_buffers.setdefault(name, deque()).append(found[i + 1])

    def _from_buffers(self, indexes):
        for list_names in indexes.values():
            for name in list_names:
                buffer = self._twisted_buffers.get(name)
                if buffer:
                    return self._unpack(name, buffer.popleft())
        return None
