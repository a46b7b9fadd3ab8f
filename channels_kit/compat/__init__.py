"""What Channels 1.1.8 needs on today's Python and Django, applied at kit import.

Two halves. ``channels_kit.compat.djangos`` makes the unmodified 1.x stack
(channels 1.1.8, daphne 1.4.2, asgi_redis 1.4.3) run on Django 3.0 to 5.2,
asgiref 3 included. This module makes Django 2.2 and Channels 1.1.8 run on
CPython 3.12 and 3.13:

Both were released before those Pythons and never updated for them. Three
standard-library changes break them; one is fixed in code here, two by
installing a package (requirements.txt pins each behind a ``python_version``
marker):

* 3.12 removed ``distutils`` (PEP 632). ``django/utils/version.py`` does
  ``from distutils.version import LooseVersion`` at import, so ``import
  django`` itself fails. setuptools installs a ``distutils`` that takes its
  place.
* 3.12 stopped falling back to ``find_module()`` on meta-path finders; only
  PEP 451's ``find_spec()`` is called. Django 2.2 vendors six 1.10, whose
  importer for ``django.utils.six.moves`` has only ``find_module`` and
  ``load_module``, so ``django.utils.six.moves`` cannot be imported and
  Channels' ``staticfiles`` (hence its ``runserver``) fails to load.
  ``teach_six_importer_find_spec`` adds the missing methods.
* 3.13 removed ``cgi`` (PEP 594). Django 2.2's multipart parser, imported by
  ``django.http`` and so by ``django.setup()``, imports it, as do Channels'
  HTTP handler and Django's WSGI handler. The legacy-cgi package restores it.

A missing package breaks Django before any system check can run (``import
django`` for distutils, ``django.setup()`` for cgi), so ``require`` reports it
instead, when ``channels_kit`` is imported: a project's ``manage.py`` and
``asgi.py`` import the kit before Django to get that message rather than a
bare "No module named ...".

``apply()`` runs from ``channels_kit/__init__.py``, so every shim is in
place before any app's ``ready()`` and before ``channels`` is imported. Each
step is gated on the Python or Django that needs it and does nothing elsewhere.
"""
import importlib.util
import sys
from collections import namedtuple

from . import djangos

Prerequisite = namedtuple("Prerequisite", "since module pin cause")

PREREQUISITES = (
    Prerequisite(
        since=(3, 12), module="distutils", pin="setuptools==84.2.1",
        cause="Python 3.12 removed distutils, which Django 2.2 imports in "
              "django/utils/version.py; setuptools provides it",
    ),
    Prerequisite(
        since=(3, 13), module="cgi", pin="legacy-cgi==2.6.4",
        cause="Python 3.13 removed cgi, which Django 2.2's multipart parser and "
              "Channels 1.1.8's HTTP handler import; legacy-cgi provides it",
    ),
)


class MissingPrerequisite(ImportError):
    """A package this Python needs for Django 2.2 and Channels 1.x is not installed."""


def _importable(module):
    """True when ``module`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def missing(python=None):
    """The prerequisites ``python`` (default: this one) needs that cannot be imported."""
    python = tuple(python or sys.version_info[:2])
    return [p for p in PREREQUISITES if python >= p.since and not _importable(p.module)]


def require(python=None):
    """Raise MissingPrerequisite naming every missing package and the pip command."""
    absent = missing(python)
    if absent:
        raise MissingPrerequisite(
            "channels_kit: " + " ".join("%s. Fix: pip install '%s'." % (p.cause, p.pin) for p in absent)
            + " (requirements.txt pins each for the Pythons that need it.)"
        )


def teach_six_importer_find_spec():
    """Give Django 2.2's vendored six importer the PEP 451 methods 3.12 calls.

    The importer already knows which names it serves and how to load them
    (``load_module``); ``find_spec`` wraps that answer in a spec, and
    ``create_module`` hands back the module ``load_module`` resolves, so
    ``exec_module`` has nothing left to do. Newer six releases do the same.
    Returns True when it patched, False when nothing was needed.
    """
    if sys.version_info < (3, 12) or djangos.DJANGO >= (3, 0):
        return False
    from django.utils import six

    importer = six._SixMetaPathImporter
    if hasattr(importer, "find_spec"):
        return False

    def find_spec(self, fullname, path=None, target=None):
        if fullname in self.known_modules:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return self.load_module(spec.name)

    def exec_module(self, module):
        """The module came fully built from create_module."""

    importer.find_spec = find_spec
    importer.create_module = create_module
    importer.exec_module = exec_module
    return True


# The names of the shims the kit's import applied (what this Python and Django needed).
APPLIED = []


def apply():
    """Check this Python's prerequisites, then run this Python's and this Django's shims.

    Once, at kit import; the names of the shims that patched go in APPLIED.
    """
    require()
    if teach_six_importer_find_spec():
        APPLIED.append("teach_six_importer_find_spec")
    APPLIED.extend(djangos.apply())
    return APPLIED
