"""Django system checks for a Channels 1.x deployment (``manage.py check --tag channels``).

Each one catches a mistake that 1.x lets through silently until traffic
finds it: a worker that crashes on its first message, group sends dropped
without a log line, a frame handled before its socket's connect, a socket
anyone's page can open. Like Django's own checks they are static: they read
settings, the installed distributions' metadata and the routing table, and
never connect to Redis or anything else, so they run in CI and on a build
machine. What the running layer holds is ``manage.py layerstats``'s job.

``ALWAYS`` run with every command that runs checks (``runworker`` included);
``DEPLOY`` only under ``check --deploy``. docs/checks.md explains every id.
"""
import importlib.metadata
import re

import asgi_redis
from asgiref.base_layer import BaseChannelLayer
from asgiref.inmemory import ChannelLayer as InMemoryChannelLayer
from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from channels_kit.checks.route_walk import routing_entries
from channels_kit.operations.secret_key import is_placeholder

# asgi_redis.RedisChannelLayer's default capacity, for every channel.
ASGI_REDIS_DEFAULT_CAPACITY = 100
# What a daphne reply channel looks like once asgi_redis strips its "!" tail:
# the name its capacity is looked up under.
RESPONSE_CHANNEL_SAMPLE = "daphne.response.AbCdEfGhIj!"
DATABASE_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}
SHOWN_AT_MOST = 5


def installed_distributions():
    """importlib.metadata's distributions, one per name (the first on sys.path wins, as in import)."""
    found = {}
    for dist in importlib.metadata.distributions():
        found.setdefault(canonical_name(dist.metadata["Name"] or ""), dist)
    return list(found.values())


def canonical_name(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def major_version(version):
    match = re.match(r"\d+", version or "")
    return int(match.group()) if match else 0


def owns_msgpack_folder(dist):
    """Whether the distribution's RECORD lists files under a top-level ``msgpack/``."""
    for path in dist.files or ():
        parts = [part for part in path.parts if part != ".."]
        if len(parts) > 1 and parts[0] == "msgpack":
            return True
    return False


def check_msgpack(app_configs=None, **kwargs):
    """asgi_redis needs msgpack < 1, alone in its folder."""
    dists = {canonical_name(d.metadata["Name"] or ""): d for d in installed_distributions()}
    errors = []
    msgpack = dists.get("msgpack")
    if "asgi-redis" in dists and msgpack is not None and major_version(msgpack.version) >= 1:
        errors.append(checks.Error(
            "msgpack %s is installed beside asgi_redis, which calls msgpack.unpackb(encoding=...), "
            "removed in msgpack 1.0: every worker crashes on its first message." % msgpack.version,
            hint="pip uninstall msgpack, then pip install 'msgpack-python<1' 'autobahn<26' "
                 "(autobahn 26 is what pulls msgpack 1.x in).",
            id="channels_kit.E001",
        ))
    owners = sorted(name for name, dist in dists.items() if owns_msgpack_folder(dist))
    if len(owners) > 1:
        errors.append(checks.Error(
            "%s all installed files into the same msgpack/ folder; which one's code runs "
            "depends on install order." % ", ".join(owners),
            hint="Uninstall all of them, then install one: 'msgpack-python<1' for asgi_redis.",
            id="channels_kit.E002",
        ))
    return errors


def layer_configs():
    """(alias, backend class, CONFIG dict, ROUTING) for every CHANNEL_LAYERS entry."""
    for alias, config in sorted(getattr(settings, "CHANNEL_LAYERS", {}).items()):
        yield (alias, import_string(config["BACKEND"]), config.get("CONFIG", {}),
               config.get("ROUTING"))


def check_capacity(app_configs=None, **kwargs):
    """A Redis layer whose daphne reply channels hold only asgi_redis's default 100 messages."""
    warnings = []
    for alias, backend, config, routing in layer_configs():
        if not issubclass(backend, asgi_redis.RedisChannelLayer):
            continue
        sizing = BaseChannelLayer(capacity=config.get("capacity", ASGI_REDIS_DEFAULT_CAPACITY),
                                  channel_capacity=config.get("channel_capacity"))
        if sizing.get_capacity(RESPONSE_CHANNEL_SAMPLE) <= ASGI_REDIS_DEFAULT_CAPACITY:
            warnings.append(checks.Warning(
                "CHANNEL_LAYERS[%r]: daphne's reply channels hold %d messages (asgi_redis's "
                "default); every socket on one daphne shares its reply list, so a busy room "
                "fills it and Group.send drops messages without an error."
                % (alias, sizing.get_capacity(RESPONSE_CHANNEL_SAMPLE)),
                hint='Add "capacity" (e.g. 1000) and "channel_capacity": '
                     '{"daphne.response*": 100000} to the layer\'s CONFIG.',
                id="channels_kit.W001",
            ))
    return warnings


def check_cluster_backend(app_configs=None, **kwargs):
    """A layer told it is on Redis Cluster whose backend cannot place keys on one."""
    from channels_kit.layer.placement import Placement

    return [checks.Error(
        "CHANNEL_LAYERS[%r] has \"cluster\": True, but its backend %s.%s cannot run on Redis "
        "Cluster: its scripts touch keys in several hash slots." % (
            alias, backend.__module__, backend.__name__),
        hint='Use "BACKEND": "channels_kit.layer.RedisChannelLayer" (or a subclass) for a '
             "cluster, or list a single Redis without the flag.",
        id="channels_kit.E003",
    ) for alias, backend, config, routing in layer_configs()
        if config.get("cluster") and not issubclass(backend, Placement)]


def session_consumers(routing):
    """"<consumer> on <path>" for each routed consumer using channel sessions, once each."""
    return list(dict.fromkeys("%s on %s" % (consumer_name(e.consumer), e.path)
                              for e in routing_entries(routing) if e.traits.session))


def check_database_channel_sessions(app_configs=None, **kwargs):
    """Channel sessions (enforce_ordering's counter too) in the database behind a Redis split."""
    engine = getattr(settings, "CHANNEL_SESSION_ENGINE", settings.SESSION_ENGINE)
    if engine not in DATABASE_SESSION_ENGINES:
        return []
    warnings = []
    for alias, backend, config, routing in layer_configs():
        users = session_consumers(routing) if routing else []
        if users and not issubclass(backend, InMemoryChannelLayer):
            warnings.append(checks.Warning(
                "Channel sessions use the database engine %s (CHANNEL_SESSION_ENGINE is %s), "
                "and %d consumers of CHANNEL_LAYERS[%r] use channel_session or "
                "enforce_ordering (%s): each message is several queries and a write lock, "
                "shared by daphne and every worker." % (
                    engine, "set" if hasattr(settings, "CHANNEL_SESSION_ENGINE") else "unset",
                    len(users), alias, shortened(users)),
                hint='Set CHANNEL_SESSION_ENGINE = "channels_kit.channel_sessions" and '
                     "CHANNEL_SESSION_REDIS_URL to your Redis; HTTP sessions stay where they are.",
                id="channels_kit.W002",
            ))
    return warnings


def check_in_memory_layer(app_configs=None, **kwargs):
    """The in-memory layer lives in one process; daphne and runworkers cannot share it."""
    if settings.DEBUG:
        return []
    return [checks.Warning(
        "CHANNEL_LAYERS[%r] is asgiref's in-memory layer with DEBUG off: messages never leave "
        "the process, so daphne and separate runworkers cannot reach each other." % alias,
        hint='Use a Redis layer: "BACKEND": "channels_kit.layer.RedisChannelLayer" with '
             '"CONFIG": {"hosts": [REDIS_URL]}.',
        id="channels_kit.W003",
    ) for alias, backend, config, routing in layer_configs()
        if issubclass(backend, InMemoryChannelLayer)]


ORIGIN_HINT = ("Decorate it with channels_kit.origin.same_origin_only (outermost), which "
               "checks scheme, host and port; on a class-based consumer use "
               "channels_kit.class_consumers.CheckedConsumerMixin (or method_decorator on "
               "raw_connect). Behind a TLS proxy, list the public origin in "
               "WEBSOCKET_TRUSTED_ORIGINS.")


def check_origin(app_configs=None, **kwargs):
    """Every websocket.connect consumer checks Origin (cross-site WebSocket hijacking)."""
    unchecked = dict.fromkeys(  # in routing order, each once
        "%s on %s" % (consumer_name(e.consumer), e.path)
        for alias, backend, config, routing in layer_configs() if routing
        for e in routing_entries(routing)
        if e.channel == "websocket.connect" and not e.traits.origin
    )
    return [checks.Warning(
        "The websocket.connect consumer %s does not check the Origin header: any web page "
        "can open this socket with its visitor's cookies." % where,
        hint=ORIGIN_HINT,
        id="channels_kit.W004",
    ) for where in unchecked]


def check_hostname_only_origin(app_configs=None, **kwargs):
    """A connect consumer whose only Origin check is channels' hostname-only allowed_hosts_only."""
    weak = dict.fromkeys(  # in routing order, each once
        "%s on %s" % (consumer_name(e.consumer), e.path)
        for alias, backend, config, routing in layer_configs() if routing
        for e in routing_entries(routing)
        if e.channel == "websocket.connect" and e.traits.hostname_only
    )
    return [checks.Warning(
        "The websocket.connect consumer %s checks Origin with channels' allowed_hosts_only, "
        "which compares only the hostname: a page on another port or scheme of an allowed "
        "host (http://127.0.0.1:8080, a second app on the same name) opens this socket with "
        "its visitor's cookies." % where,
        hint=ORIGIN_HINT,
        id="channels_kit.W008",
    ) for where in weak]


def check_implicit_connect(app_configs=None, **kwargs):
    """No catch-all websocket.connect route: channels' built-in consumer accepts the rest."""
    warnings = []
    for alias, backend, config, routing in layer_configs():
        entries = list(routing_entries(routing)) if routing else []
        if any(e.channel == "websocket.connect" and not e.filters for e in entries):
            continue
        warnings.append(checks.Warning(
            "CHANNEL_LAYERS[%r] has no websocket.connect route for every path: runworker adds "
            "channels' connect_consumer below your routes, and it accepts every other "
            "connect, from any Origin, with no check at all." % alias,
            hint="Route a websocket.connect consumer with no path last, decorated with "
                 "channels_kit.origin.same_origin_only, that refuses (as consumers/not_found.py "
                 "does) or serves the socket.",
            id="channels_kit.W009",
        ))
    return warnings


def check_ordering(app_configs=None, **kwargs):
    """A connect or receive consumer with channel_session but no enforce_ordering."""
    unordered = dict.fromkeys(  # in routing order, each once
        (e.path, e.channel, consumer_name(e.consumer))
        for alias, backend, config, routing in layer_configs() if routing
        for e in routing_entries(routing)
        if e.channel in ("websocket.connect", "websocket.receive")
        and e.traits.session and not e.traits.ordering
    )
    return [checks.Warning(
        "Path %s: the %s consumer %s uses channel_session without enforce_ordering. Two "
        "workers can run one socket's messages at once, or a frame waits forever for an "
        "order counter that only an ordered connect starts." % (path, channel, name),
        hint="Add @enforce_ordering (outside the session and auth decorators) to the "
             "path's connect and receive consumers; on a class-based consumer set "
             "strict_ordering = True.",
        id="channels_kit.W005",
    ) for path, channel, name in unordered]


def check_jwt_key(app_configs=None, **kwargs):
    """An HMAC JWT key too short to resist guessing, or left at a placeholder."""
    config = getattr(settings, "JWT_AUTH", None)
    if config is None:
        return []
    algorithm = config.get("JWT_ALGORITHM", "HS256")
    if not algorithm.startswith("HS"):
        return []
    key = config.get("JWT_SECRET_KEY") or settings.SECRET_KEY
    raw = key.encode("utf8") if isinstance(key, str) else bytes(key)
    warnings = []
    needed = int(algorithm[2:]) // 8
    if len(raw) < needed:
        warnings.append(checks.Warning(
            "JWT_AUTH['JWT_SECRET_KEY'] is %d bytes; %s needs at least %d (the size of its "
            "hash), or tokens can be forged by guessing the key offline." % (
                len(raw), algorithm, needed),
            hint="Set it from the environment to a random value of %d bytes or more, e.g. "
                 "python -c 'import secrets; print(secrets.token_urlsafe(48))'." % needed,
            id="channels_kit.W006",
        ))
    if is_placeholder(raw):
        warnings.append(checks.Warning(
            "JWT_AUTH['JWT_SECRET_KEY'] is a placeholder or development default; anyone who "
            "has seen the template or the code can sign tokens for any user.",
            hint="Set JWT_SECRET_KEY (or SECRET_KEY, which drf-jwt falls back to) from the "
                 "environment to a fresh random value.",
            id="channels_kit.W007",
        ))
    return warnings


def consumer_name(consumer):
    return "%s.%s" % (getattr(consumer, "__module__", "?"),
                      getattr(consumer, "__qualname__", type(consumer).__name__))


def shortened(items):
    shown = ", ".join(items[:SHOWN_AT_MOST])
    return shown + (", ..." if len(items) > SHOWN_AT_MOST else "")


ALWAYS = [check_msgpack, check_capacity, check_cluster_backend, check_database_channel_sessions,
          check_in_memory_layer, check_origin, check_ordering, check_hostname_only_origin,
          check_implicit_connect]
DEPLOY = [check_jwt_key]
