"""SECRET_KEY for a checkout: random, kept in an ignored file, never one anyone else has seen.

A key committed to a repository signs sessions, password-reset links and
(through drf-jwt's fallback) JSON Web Tokens for everyone who has read the
repository: a token signed with it logs in as any user. So a settings module
takes the key from the environment, or else from ``checkout_key(path)``: a
file created once per checkout, from ``secrets``, readable by its owner
only, that git ignores. The first process to need it writes it (atomically:
daphne and the workers may start together, and must agree); every later one
reads it. ``refuse_known`` stops a process that was handed a placeholder or
a key from a template, before it serves a page with it.
"""
import os
import secrets

from django.core.exceptions import ImproperlyConfigured

# Values a key is left at by tutorials, templates and this project's history.
PLACEHOLDER_KEYS = {"secret", "secret-key", "secretkey", "changeme", "change-me",
                    "your-secret-key", "jwt-secret", "jwt-secret-key"}
KEY_BYTES = 50


def is_placeholder(key):
    """A known placeholder, or a key that says it is insecure (``django-insecure-...``)."""
    text = key.decode("utf8", "replace") if isinstance(key, bytes) else str(key)
    return text.lower() in PLACEHOLDER_KEYS or "insecure" in text.lower()


def checkout_key(path):
    """The key in ``path``, created with a fresh random key if the file does not exist."""
    try:
        with open(path) as f:
            key = f.read().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    return _create(path)


def _create(path):
    """Write a new key beside ``path`` and link it into place; whoever links first wins."""
    temporary = "%s.%d.%s" % (path, os.getpid(), secrets.token_hex(4))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as f:
        f.write(secrets.token_urlsafe(KEY_BYTES) + "\n")
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    with open(path) as f:
        return f.read().strip()


def refuse_known(key, name="SECRET_KEY"):
    """``key``, unless it is empty or a placeholder: then ImproperlyConfigured, before any page."""
    if not key or is_placeholder(key):
        raise ImproperlyConfigured(
            "%s is %s: anyone who has read the template can sign sessions and tokens with it. "
            "Set it to a fresh random value, e.g. python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))', or leave it unset to use the checkout's own "
            "key file." % (name, "empty" if not key else "a placeholder (%r)" % key))
    return key
