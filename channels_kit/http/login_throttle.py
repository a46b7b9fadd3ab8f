"""Password guessing throttled per account and per address, in Redis where every worker sees it.

Every failed password (Django's ``user_login_failed`` signal: the login page,
the admin's, the token API, anything that calls ``authenticate``) counts
against the account (its username, case-folded) and the client address.
Once either has ``account_limit`` / ``address_limit`` failures within
``window_seconds``, logins for it are refused *before* the password is
checked, until the window ends: the right password does not get in either,
so guessing gains nothing. A successful login (``user_logged_in``, or the
token API's ``succeeded``) clears its account's count.

The counts are Redis keys with the window as their expiry, on the channel
layer's Redis (its first host, through the layer's own connection, so a
Sentinel setup follows its master); every daphne and worker shares them.
Without a Redis layer (``runserver``, unit tests) Django's default cache
holds them, which is enough for one process.

Refusals tell the client when to come back: ``LoginThrottleMiddleware``
answers a POST to a login page (``LOGIN_THROTTLE["pages"]``) with the page
and a message, status 429 and ``Retry-After``; the token API answers 429
JSON with ``Retry-After`` (channels_kit/jwt/views.py).

django-axes would be the library for this, but no release of it supports
both Django 2.2 (this project's pin) and Django 5.2: 5.28.0 dropped Django
< 3.2, and Django 5.2 support came in 7.1.0.
"""
import hashlib
import logging

from channels import DEFAULT_CHANNEL_LAYER, channel_layers
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache

from channels_kit.layer.roles import RedisBacked, layer_that
from channels_kit.connections.redis_errors import REDIS_DOWN

logger = logging.getLogger(__name__)

DEFAULTS = {"account_limit": 5, "address_limit": 30, "window_seconds": 900, "pages": (),
            "username_field": "username"}
PREFIX = "login-throttle:"


def config():
    return dict(DEFAULTS, **getattr(settings, "LOGIN_THROTTLE", {}))


def _digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def keys(username, address):
    """The Redis / cache keys for an account and an address (hashed: no usernames in Redis)."""
    found = []
    if username:
        found.append(("account", PREFIX + "account:" + _digest(username.casefold())))
    if address:
        found.append(("address", PREFIX + "address:" + _digest(address)))
    return found


class Counts:
    """Failure counters with an expiry: Redis through the channel layer, or Django's cache."""

    def __init__(self):
        layer = layer_that(RedisBacked, channel_layers[DEFAULT_CHANNEL_LAYER])
        self.redis = layer.connection(0) if layer is not None else None

    def add(self, key, window):
        if self.redis is None:
            cache.add(key, 0, window)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, window)
            return
        # One transaction: the key is born with its expiry (the window starts
        # at the first failure) and INCR keeps it, so no count outlives it.
        pipeline = self.redis.pipeline(transaction=True)
        pipeline.set(key, 0, ex=window, nx=True)
        pipeline.incr(key)
        pipeline.execute()

    def get(self, key):
        """(failures, seconds until the window ends)."""
        if self.redis is None:
            return cache.get(key, 0), config()["window_seconds"]
        pipeline = self.redis.pipeline()
        pipeline.get(key)
        pipeline.ttl(key)
        count, ttl = pipeline.execute()
        return int(count or 0), max(int(ttl or 0), 1)

    def clear(self, key):
        if self.redis is None:
            cache.delete(key)
        else:
            self.redis.delete(key)


def retry_after(username, address):
    """Seconds until a login for this account from this address may be tried; 0 if it may now."""
    limits = config()
    try:
        counts = Counts()
        waits = []
        for kind, key in keys(username, address):
            failures, ttl = counts.get(key)
            if failures >= limits[kind + "_limit"]:
                waits.append(ttl)
        return max(waits, default=0)
    except REDIS_DOWN as error:
        logger.warning("login throttle unavailable, Redis is down (%s)", error)
        return 0


def client_address(request):
    return request.META.get("REMOTE_ADDR") or ""


def _failed(sender, credentials, request=None, **kwargs):
    username = credentials.get(config()["username_field"]) or credentials.get("username")
    address = client_address(request) if request is not None else ""
    window = config()["window_seconds"]
    try:
        counts = Counts()
        for kind, key in keys(username if isinstance(username, str) else "", address):
            counts.add(key, window)
    except REDIS_DOWN as error:
        logger.warning("login failure not counted, Redis is down (%s)", error)


def succeeded(username):
    """A right password: the account's failures are forgotten (its address's are not)."""
    try:
        for kind, key in keys(username, None):
            Counts().clear(key)
    except REDIS_DOWN:
        pass


def _succeeded(sender, request, user, **kwargs):
    succeeded(user.get_username())


def message(seconds):
    return ("Too many failed logins for this account or from this address. "
            "Try again in %d seconds." % seconds)


class LoginThrottleMiddleware:
    """A POST to a login page while its account or address is throttled: the page, a message, 429.

    The view runs as a GET, so the page is the same form the person was
    on, with the message above it, and nothing checks the password.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in config()["pages"]:
            field = config()["username_field"]
            wait = retry_after(request.POST.get(field, ""), client_address(request))
            if wait:
                return self.refuse(request, wait)
        return self.get_response(request)

    def refuse(self, request, wait):
        logger.warning("login throttled at %s for %d s", request.path, wait)
        messages.error(request, message(wait))
        request.method = "GET"
        response = self.get_response(request)
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response


def connect():
    """Count failures and clear them on success (the kit's AppConfig.ready does)."""
    user_login_failed.connect(_failed, dispatch_uid="channels_kit.http.login_throttle.failed")
    user_logged_in.connect(_succeeded, dispatch_uid="channels_kit.http.login_throttle.succeeded")
