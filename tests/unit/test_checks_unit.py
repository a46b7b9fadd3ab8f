"""The kit's system checks: each planted mistake is reported under its id, and the site is clean.

Problems are planted through settings (pytest-django's ``settings`` fixture),
routing tables built here, and fake distribution metadata; the checks run
through Django's registry, as ``manage.py check --tag channels`` runs them.
"""
import datetime
import os
import subprocess
import sys
from pathlib import PurePosixPath

import django
import pytest
from channels.auth import channel_session_user, channel_session_user_from_http
from channels.generic.websockets import WebsocketConsumer
from channels.routing import include, route
from channels.security.websockets import allowed_hosts_only
from channels.sessions import channel_session, enforce_ordering
from django.core import checks

from channels_kit.checks import deployment as kit_checks
from channels_kit.checks import upgrade_checks
from channels_kit.class_consumers import CheckedConsumerMixin
from channels_kit.origin import same_origin_only
from tests.support.paths import ROOT

REDIS_LAYER = "channels_kit.layer.RedisChannelLayer"
GOOD_CONFIG = {"hosts": ["redis://127.0.0.1:6379/0"], "capacity": 1000,
               "channel_capacity": {"daphne.response*": 100000}}


def reported(deploy=False):
    """{id: [message, ...]} of what the channels-tagged checks report."""
    found = {}
    for message in checks.run_checks(tags=["channels"], include_deployment_checks=deploy):
        found.setdefault(message.id, []).append(message.msg)
    return found


def use_layer(settings, routing, backend=REDIS_LAYER, config=None):
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": backend, "ROUTING": routing,
        "CONFIG": GOOD_CONFIG if config is None else config,
    }}


# --- consumers to route -----------------------------------------------------

@same_origin_only
@enforce_ordering
@channel_session_user_from_http
def ordered_connect(message):
    """connect done right: Origin checked, ordered, user stored."""


@allowed_hosts_only
def hostname_checked_connect(message):
    """channels' own Origin check: the hostname only, any port, any scheme."""


@same_origin_only
def refuse_the_rest(message):
    """A catch-all connect, so no path falls through to channels' accept-all one."""


@enforce_ordering
@channel_session_user
def ordered_receive(message):
    """receive done right."""


@channel_session
def racy_receive(message):
    """Reads the channel_session with nothing keeping it behind connect."""


def bare_connect(message):
    """The getting-started guide's connect: no Origin check."""


class UncheckedConsumer(WebsocketConsumer):
    http_user = True
    strict_ordering = True


class CheckedConsumer(CheckedConsumerMixin, WebsocketConsumer):
    http_user = True
    strict_ordering = True


class UnorderedConsumer(CheckedConsumer):
    channel_session_user = True
    strict_ordering = False


GOOD_ROUTES = [route("websocket.connect", ordered_connect, path=r"^/good/$"),
               route("websocket.receive", ordered_receive, path=r"^/good/$")]


# --- distributions ----------------------------------------------------------

class FakeDistribution:
    def __init__(self, name, version, files=()):
        self.metadata = {"Name": name}
        self.version = version
        self.files = [PurePosixPath(path) for path in files]


def plant_distributions(monkeypatch, *dists):
    monkeypatch.setattr(kit_checks, "installed_distributions", lambda: list(dists))


def test_msgpack_1_beside_asgi_redis_is_E001(monkeypatch):
    plant_distributions(monkeypatch, FakeDistribution("asgi_redis", "1.4.3"),
                        FakeDistribution("msgpack", "1.1.0", ["msgpack/__init__.py"]))
    found = reported()
    assert "msgpack 1.1.0" in found["channels_kit.E001"][0]
    assert "channels_kit.E002" not in found


def test_two_distributions_in_the_msgpack_folder_are_E002(monkeypatch):
    plant_distributions(
        monkeypatch, FakeDistribution("msgpack-python", "0.5.6", ["msgpack/__init__.py"]),
        FakeDistribution("msgpack", "0.6.2", ["msgpack/fallback.py", "msgpack-0.6.2.dist-info/RECORD"]),
        FakeDistribution("ormsgpack", "1.13.1", ["ormsgpack/__init__.py"]),
    )
    found = reported()
    assert found["channels_kit.E002"] == [
        "msgpack, msgpack-python all installed files into the same msgpack/ folder; which one's "
        "code runs depends on install order."]
    assert "channels_kit.E001" not in found  # no asgi_redis, and 0.6 still has encoding=


def test_the_pinned_distributions_pass():
    found = reported()
    assert "channels_kit.E001" not in found and "channels_kit.E002" not in found


# --- layer settings ---------------------------------------------------------

@pytest.mark.parametrize("backend", ["asgi_redis.RedisChannelLayer", REDIS_LAYER])
def test_default_capacity_on_a_redis_layer_is_W001(settings, backend):
    use_layer(settings, GOOD_ROUTES, backend, {"hosts": ["redis://127.0.0.1:6379/0"]})
    assert "hold 100 messages" in reported()["channels_kit.W001"][0]


def test_a_cluster_flag_on_stock_asgi_redis_is_E003(settings):
    use_layer(settings, GOOD_ROUTES, "asgi_redis.RedisChannelLayer",
              {"hosts": ["redis://127.0.0.1:7000/0"], "cluster": True})
    assert "cannot run on Redis Cluster" in reported()["channels_kit.E003"][0]
    use_layer(settings, GOOD_ROUTES, REDIS_LAYER, {"hosts": ["redis://127.0.0.1:7000/0"],
                                                   "cluster": True})
    assert "channels_kit.E003" not in reported()


def test_a_response_capacity_or_a_larger_default_passes_W001(settings):
    use_layer(settings, GOOD_ROUTES, config={"channel_capacity": {"daphne.response*": 5000}})
    assert "channels_kit.W001" not in reported()
    use_layer(settings, GOOD_ROUTES, config={"capacity": 1000})
    assert "channels_kit.W001" not in reported()


def test_database_channel_sessions_behind_redis_are_W002(settings):
    use_layer(settings, GOOD_ROUTES)
    if hasattr(settings, "CHANNEL_SESSION_ENGINE"):
        del settings.CHANNEL_SESSION_ENGINE
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    message = reported()["channels_kit.W002"][0]
    assert "tests.unit.test_checks_unit.ordered_connect on ^/good/$" in message
    settings.CHANNEL_SESSION_ENGINE = "channels_kit.channel_sessions"
    assert "channels_kit.W002" not in reported()


def test_in_memory_layer_without_debug_is_W003(settings):
    use_layer(settings, GOOD_ROUTES, "asgiref.inmemory.ChannelLayer", {})
    settings.DEBUG = True
    assert "channels_kit.W003" not in reported()
    settings.DEBUG = False
    assert "in-memory layer with DEBUG off" in reported()["channels_kit.W003"][0]


# --- the routing table ------------------------------------------------------

def test_connect_without_origin_check_is_W004_through_includes_and_classes(settings):
    use_layer(settings, [
        include(GOOD_ROUTES),
        include([route("websocket.connect", bare_connect)], path=r"^/bare/$"),
        include([UncheckedConsumer.as_route(path=r"^/class/$"),
                 CheckedConsumer.as_route(path=r"^/checked/$")], path=r"^/v1"),
    ])
    messages = reported()["channels_kit.W004"]
    assert len(messages) == 2, messages
    assert "tests.unit.test_checks_unit.bare_connect on ^/bare/$ " in messages[0]
    assert "tests.unit.test_checks_unit.UncheckedConsumer on ^/v1^/class/$ " in messages[1]


def test_hostname_only_origin_check_is_W008(settings):
    use_layer(settings, GOOD_ROUTES + [
        route("websocket.connect", hostname_checked_connect, path=r"^/stock/$"),
        route("websocket.connect", same_origin_only(hostname_checked_connect), path=r"^/both/$"),
    ])
    found = reported()
    assert len(found["channels_kit.W008"]) == 1, found["channels_kit.W008"]
    assert "hostname_checked_connect on ^/stock/$ checks Origin with channels' " \
           "allowed_hosts_only" in found["channels_kit.W008"][0]
    assert "channels_kit.W004" not in found


def test_no_catch_all_connect_is_W009(settings):
    # Every routed path checks Origin, yet /other/ would open through channels' connect_consumer.
    use_layer(settings, GOOD_ROUTES)
    assert "accepts every other connect" in reported()["channels_kit.W009"][0]
    use_layer(settings, GOOD_ROUTES + [route("websocket.connect", refuse_the_rest)])
    assert "channels_kit.W009" not in reported()
    use_layer(settings, GOOD_ROUTES + [include([route("websocket.connect", refuse_the_rest)],
                                               path=r"^/x/")])
    assert "channels_kit.W009" in reported()


def test_session_without_ordering_is_W005_per_path_and_channel(settings):
    use_layer(settings, GOOD_ROUTES + [
        route("websocket.connect", ordered_connect, path=r"^/racy/$"),
        route("websocket.receive", racy_receive, path=r"^/racy/$"),
        UnorderedConsumer.as_route(path=r"^/unordered/$"),
    ])
    messages = reported()["channels_kit.W005"]
    assert messages[0].startswith("Path ^/racy/$: the websocket.receive consumer "
                                  "tests.unit.test_checks_unit.racy_receive uses channel_session")
    assert [m.split(":")[0] for m in messages[1:]] == ["Path ^/unordered/$"] * 2
    assert len(messages) == 3, messages


# --- JWT keys (deploy only) -------------------------------------------------

def test_short_hs256_key_is_W006_under_deploy_only(settings):
    settings.JWT_AUTH = {"JWT_SECRET_KEY": "x" * 31, "JWT_ALGORITHM": "HS256"}
    assert "channels_kit.W006" not in reported()
    assert "is 31 bytes; HS256 needs at least 32" in reported(deploy=True)["channels_kit.W006"][0]
    settings.JWT_AUTH = {"JWT_SECRET_KEY": "x" * 47, "JWT_ALGORITHM": "HS384"}
    assert "HS384 needs at least 48" in reported(deploy=True)["channels_kit.W006"][0]
    settings.JWT_AUTH = {"JWT_SECRET_KEY": "x" * 32, "JWT_ALGORITHM": "HS256"}
    assert "channels_kit.W006" not in reported(deploy=True)


@pytest.mark.parametrize("key", [
    "django-insecure-" + "q" * 40,
    "insecure-dev-key-set-DJANGO_SECRET_KEY-in-production",
    "changeme",
])
def test_placeholder_key_is_W007(settings, key):
    settings.JWT_AUTH = {"JWT_SECRET_KEY": key}
    assert "channels_kit.W007" in reported(deploy=True)


def test_jwt_key_falls_back_to_secret_key_as_drf_jwt_does(settings):
    settings.SECRET_KEY = "django-insecure-" + "q" * 40
    settings.JWT_AUTH = {"JWT_ALGORITHM": "HS256"}
    assert "channels_kit.W007" in reported(deploy=True)


# --- the site ---------------------------------------------------------------

def test_the_site_is_clean_under_production_settings(tmp_path):
    """``check --deploy --tag channels`` as a production deployment would run it."""
    env = dict(os.environ, DJANGO_DEBUG="0", REDIS_URL="redis://127.0.0.1:6390/0",
               DJANGO_SECRET_KEY="s" * 60, JWT_SECRET_KEY="j" * 40,
               DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's own default, as in production
    command = [sys.executable, "manage.py", "check", "--deploy", "--tag", "channels",
               "--fail-level", "WARNING"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    if upgrade_checks.support_ended(django.VERSION[:2], datetime.date.today()):
        # On the Django 2.2 pins (requirements-django22.txt) the one issue is the line itself.
        assert "(channels_kit.W023)" in result.stderr
        assert result.stderr.count("(channels_kit.") == 1, result.stderr
        return
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
