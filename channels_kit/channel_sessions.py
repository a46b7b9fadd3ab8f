"""A Redis session engine for channel sessions (``CHANNEL_SESSION_ENGINE``).

``@channel_session`` gives each WebSocket a Django session keyed by its
reply channel; ``@enforce_ordering`` keeps the socket's next expected message
number in it, so every ordered message loads the session, runs, saves it
and looks again. On the default database engine (SQLite shared by daphne and
every worker) each of those is a query and each save takes the database
lock: 300 messages from one socket took half a minute to reach their room.

Channels 1.x reads ``CHANNEL_SESSION_ENGINE`` for channel sessions only
(falling back to ``SESSION_ENGINE``), so HTTP sessions and logins stay in the
database while channel sessions live next to the channel layer, on the same
Redis, expiring by themselves. Only a Django ``SessionStore`` is needed:
django-redis would need redis-py 3, and this project pins 2.10.6.
"""
from django.conf import settings
from django.contrib.sessions.backends.base import CreateError, SessionBase
from django.utils.module_loading import import_string

from channels_kit.connections import cluster, redis_urls, sentinel

KEY_PREFIX = "channel-session:"

_connections = {}


def connection():
    """One client (and pool) per process and URL; redis-py's pool is thread-safe.

    With ``CHANNEL_SESSION_REDIS_CLUSTER``, the URL names any node of a
    Redis Cluster, and each session's key goes to the master of its slot.
    """
    url = settings.CHANNEL_SESSION_REDIS_URL
    if url not in _connections:
        if getattr(settings, "CHANNEL_SESSION_REDIS_CLUSTER", False):
            _connections[url] = cluster.client(cluster.Cluster([url]))
        elif sentinel.is_sentinel_url(url):
            _connections[url] = sentinel.master_client(url)
        else:
            _connections[url] = redis_urls.client(url)
    return _connections[url]


class SessionStore(SessionBase):
    """Session data as serialized JSON under ``channel-session:<key>``, with a TTL.

    The data never leaves the server, so it is stored with the session
    serializer alone, without the signed base64 wrapper of the database
    engine.
    """

    def __init__(self, session_key=None):
        super().__init__(session_key)
        self.serializer = import_string(settings.SESSION_SERIALIZER)()
        self._loaded_key = None

    def _key(self, session_key=None):
        return KEY_PREFIX + (session_key or self._get_or_create_session_key())

    def load(self):
        data = connection().get(self._key(self.session_key)) if self.session_key else None
        if data is None:
            self._session_key = None
            return {}
        self._loaded_key = self.session_key
        return self.serializer.loads(data)

    def exists(self, session_key):
        """channel_session asks right after loading: answer from that load, not another trip."""
        if session_key and session_key == self._loaded_key:
            return True
        return bool(session_key) and bool(connection().exists(KEY_PREFIX + session_key))

    def create(self):
        while True:
            self._session_key = self._get_new_session_key()
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        data = self.serializer.dumps(self._get_session(no_load=must_create))
        stored = connection().set(self._key(), data, ex=self.get_expiry_age(), nx=must_create)
        if must_create and not stored:
            raise CreateError
        self._loaded_key = self.session_key

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        if session_key:
            connection().delete(KEY_PREFIX + session_key)
            if session_key == self._loaded_key:
                self._loaded_key = None

    @classmethod
    def clear_expired(cls):
        """Redis expires the keys itself."""
