"""System checks for the traps of moving a 1.x deployment from Django 2.2 to 5.2.

Registered with the kit's other checks under the ``channels`` tag
(docs/checks.md, "Checks for the Django upgrade"; the upgrade itself:
docs/upgrading-django.md). Each is static, like Django's own: settings, the
app registry and what the kit saw at import, never the database.
"""
import datetime
import sys

import django
from django.apps import apps
from django.conf import settings
from django.core import checks

from channels_kit.compat import djangos

GUIDE = "docs/upgrading-django.md"

# The month each Django release line's security support ends, as
# djangoproject.com's download page gives it (upstream names the month, not
# the day): the line is unsupported from the first day of the next month.
SECURITY_SUPPORT_ENDS = {
    (2, 2): (2022, 4),
    (3, 0): (2021, 4),
    (3, 1): (2021, 12),
    (3, 2): (2024, 4),
    (4, 0): (2023, 4),
    (4, 1): (2023, 12),
    (4, 2): (2026, 4),
    (5, 0): (2025, 4),
    (5, 1): (2025, 12),
    (5, 2): (2028, 4),
}


def support_ended(line, today):
    """True once ``today`` is past the month the line's support ends in; False if unknown."""
    end = SECURITY_SUPPORT_ENDS.get(line)
    return end is not None and (today.year, today.month) > end


def check_kit_imported_first(app_configs=None, **kwargs):
    """``channels`` was imported before ``channels_kit``, whose shims it needed."""
    if not djangos.channels_imported_first or not shims_needed():
        return []
    return [checks.Error(
        "channels was imported before channels_kit, so it loaded without the kit's shims for "
        "Django %s / Python %d.%d: channels/__init__.py hid the ImportError and left Channel, "
        "Group and route undefined. The kit ran it again, but whatever imported from channels "
        "in between may hold the broken names." % (django.get_version(), *sys.version_info[:2]),
        hint='Import channels_kit before anything that imports channels: "channels_kit" before '
             '"channels" in INSTALLED_APPS, and "import channels_kit" as the first import of '
             "manage.py, asgi.py and any settings module that imports channels (%s)." % GUIDE,
        id="channels_kit.E020",
    )]


def shims_needed():
    """Whether this Django or Python needs any of the kit's shims before channels loads."""
    return djangos.DJANGO >= (3, 0) or sys.version_info >= (3, 12)


def check_channels_delay(app_configs=None, **kwargs):
    """channels.delay on Django 3.2+: the kit relabelled it, so its table has a new name."""
    if djangos.DJANGO < (3, 2) or not apps.is_installed("channels.delay"):
        return []
    return [checks.Warning(
        "channels.delay is installed. Django 3.2+ rejects its app label 'channels.delay', so "
        "channels_kit relabels it %r: its migrations and table follow the new label, and "
        "delayed messages still in the old table \"channels.delay_delayedmessage\" are never sent."
        % djangos.DELAY_LABEL,
        hint="Before migrate, rename the old table and its migration records to the new "
             "label (%s, 'The channels.delay table'); then add \"channels_kit.W021\" to "
             "SILENCED_SYSTEM_CHECKS." % GUIDE,
        id="channels_kit.W021",
    )]


def check_pickle_sessions(app_configs=None, **kwargs):
    """A pickle session serializer: gone in Django 5.0, and code execution with a leaked key."""
    serializer = getattr(settings, "SESSION_SERIALIZER", "")
    if "pickle" not in serializer.rpartition(".")[2].lower():
        return []
    return [checks.Error(
        "SESSION_SERIALIZER is %r. Django 5.0 removed PickleSerializer, so every request that "
        "touches a session fails; on any Django, a leaked SECRET_KEY lets whoever holds it run "
        "code on your servers through a forged session cookie. channels_kit's channel sessions "
        "use the same serializer." % serializer,
        hint="Use django.contrib.sessions.serializers.JSONSerializer (the default) and store "
             "only JSON-serializable values; existing sessions cannot be read and are dropped: "
             "users log in once more (%s, 'Sessions')." % GUIDE,
        id="channels_kit.E022",
    )]


def check_security_support(app_configs=None, today=None, **kwargs):
    """Deploy only: this Django release line no longer gets security releases."""
    if not support_ended(djangos.DJANGO, today or datetime.date.today()):
        return []
    year, month = SECURITY_SUPPORT_ENDS[djangos.DJANGO]
    return [checks.Warning(
        "Django %s is a release line without security support since the end of %s: "
        "vulnerabilities published since then are not fixed in it." % (
            django.get_version(), datetime.date(year, month, 1).strftime("%B %Y")),
        hint="Upgrade to Django 5.2 LTS with channels_kit (requirements.txt); %s goes "
             "step by step." % GUIDE,
        id="channels_kit.W023",
    )]


ALWAYS = [check_kit_imported_first, check_channels_delay, check_pickle_sessions]
DEPLOY = [check_security_support]

