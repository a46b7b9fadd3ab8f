"""What the unmodified Channels 1.x stack needs on Django 3.0 to 5.2 (and asgiref 3).

channels 1.1.8, daphne 1.4.2 and asgi_redis 1.4.3 were written for Django
1.8 to 2.2 and asgiref 1.x. Everything else they use still exists in Django
5.2 (``load_middleware``, ``get_response``, runserver's internals, sessions,
``auth.get_user``, ``validate_host``, staticfiles' ``serve``); these shims
restore the rest, each gated on the release that removed what it restores:

========================================  ===========  =============================================
shim                                      needed from  upstream cause
========================================  ===========  =============================================
``serve_django_utils_six``                Django 3.0   ``django.utils.six`` removed; channels'
                                                       ``routing.py``, ``channel.py``, ``handler.py``,
                                                       ``staticfiles.py`` and its ``runserver`` import it
``provide_asgiref1_modules``              asgiref 2    ``asgiref.base_layer`` / ``asgiref.inmemory``
                                                       gone; ``asgi_redis/core.py``,
                                                       ``channels/test/base.py`` and the
                                                       ``asgiref.inmemory.ChannelLayer`` backend name
``accept_signal_providing_args``          Django 4.0   ``Signal(providing_args=...)`` is a TypeError;
                                                       ``channels/signals.py``
``relabel_channels_delay``                Django 3.2   app label ``"channels.delay"`` is not an
                                                       identifier; ``channels/delay/apps.py``
``set_up_channel_live_server_per_test``   Django 5.x   ``TransactionTestCase.setUpClass`` calls
                                                       ``_pre_setup`` on the class; channels'
                                                       ``test/liveserver.py`` and
                                                       ``TransactionChannelTestCase`` define it per
                                                       instance
========================================  ===========  =============================================

They must run before ``channels`` is first imported: ``channels/__init__.py``
swallows the ImportError a missing ``django.utils.six`` raises and leaves
``Channel``, ``Group`` and ``route`` undefined, so a late shim shows up as
confusing ImportErrors and AttributeErrors much later. When the kit finds
``channels`` already imported, it runs that ``__init__`` again after its
shims, so the process reaches the system checks, and ``channels_kit.E020``
names the mistake.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

import django

DJANGO = django.VERSION[:2]

# The asgiref 1.x module names the stack imports, and the kit's modules that serve them.
ASGIREF1_MODULES = {
    "asgiref.base_layer": "channels_kit.asgi1.base_layer",
    "asgiref.inmemory": "channels_kit.asgi1.inmemory",
}

# Set by the first apply(): whether ``channels`` was imported before the kit's shims ran.
channels_imported_first = None


def asgiref_major():
    import asgiref

    return int(asgiref.__version__.split(".")[0])


class _SixAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``django.utils.six`` and ``django.utils.six.*`` as the ``six`` package's modules.

    ``six.moves`` and its children are themselves served lazily by six's own
    importer, so each name is resolved through the import system, not copied.
    """

    PREFIX = "django.utils.six"

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.PREFIX or fullname.startswith(self.PREFIX + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("six" + spec.name[len(self.PREFIX):])

    def exec_module(self, module):
        """The module came fully built from create_module."""


def serve_django_utils_six():
    """Django 3.0 removed ``django.utils.six``: serve it from ``six`` (pinned, 1.17)."""
    if DJANGO < (3, 0) or any(isinstance(finder, _SixAlias) for finder in sys.meta_path):
        return False
    sys.meta_path.append(_SixAlias())
    return True


def provide_asgiref1_modules():
    """asgiref 2 dropped ``base_layer`` and ``inmemory``: serve the kit's ASGI 1 modules under those names.

    The names do not exist in asgiref 3, so they live beside it without
    touching any of its modules.
    """
    if asgiref_major() < 2 or all(sys.modules.get(name) is not None for name in ASGIREF1_MODULES):
        return False
    import asgiref

    for name, kit_module in ASGIREF1_MODULES.items():
        module = importlib.import_module(kit_module)
        sys.modules[name] = module
        setattr(asgiref, name.rpartition(".")[2], module)
    return True


def accept_signal_providing_args():
    """Django 4.0 made ``Signal(providing_args=...)`` a TypeError; accept it and drop it.

    The argument was documentation only (deprecated in 3.1), so dropping it
    changes nothing a receiver sees.
    """
    from django.dispatch import Signal

    if DJANGO < (4, 0) or getattr(Signal.__init__, "drops_providing_args", False):
        return False
    signal_init = Signal.__init__

    def __init__(self, *args, providing_args=None, **kwargs):
        signal_init(self, *args, **kwargs)

    __init__.drops_providing_args = True
    Signal.__init__ = __init__
    return True


def relabel_channels_delay():
    """Django 3.2 rejects the app label ``"channels.delay"``; make it ``"channels_delay"``.

    The label names the app's migrations and table, so the delayed-message
    table becomes ``channels_delay_delayedmessage``: docs/upgrading-django.md
    moves its rows, and check ``channels_kit.W021`` says so.
    """
    if DJANGO < (3, 2):
        return False
    from channels.delay.apps import DelayConfig

    if DelayConfig.label.isidentifier():
        return False
    DelayConfig.label = DELAY_LABEL
    return True


DELAY_LABEL = "channels_delay"


def set_up_channel_live_server_per_test():
    """Django 5.2's TransactionTestCase runs ``_pre_setup`` once per class, as a classmethod.

    ``setUpClass`` calls ``cls._pre_setup()``; channels'
    ``ChannelLiveServerTestCase._pre_setup(self)`` (it starts daphne and a
    worker per test) then fails with a TypeError before any test runs, and so
    does ``TransactionChannelTestCase``, whose mixin's ``_pre_setup`` is an
    instance method too. Their ``setUpClass`` here skips that eager call, so Django calls
    ``_pre_setup`` on each test instance, as every release before did.
    Applied when ``channels.test.liveserver`` is first imported, not at kit
    import: that module imports Twisted's reactor, which only test processes
    may install. Arranged from Django 5.0, and done only where what changed
    is there (``_pre_setup`` a classmethod; 5.2 has it).
    """
    if DJANGO < (5, 0):
        return False

    def patcher(class_name):
        def patch(module):
            import inspect

            from django.test.testcases import TransactionTestCase

            if not isinstance(inspect.getattr_static(TransactionTestCase, "_pre_setup"),
                              classmethod):
                return

            def setUpClass(cls):
                super(TransactionTestCase, cls).setUpClass()

            getattr(module, class_name).setUpClass = classmethod(setUpClass)
        return patch

    arranged = [_after_import("channels.test.liveserver", patcher("ChannelLiveServerTestCase")),
                _after_import("channels.test.base", patcher("TransactionChannelTestCase"))]
    return any(arranged)


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Runs ``patch(module)`` right after ``name`` is executed, wherever it is imported from."""

    def __init__(self, name, patch):
        self.name, self.patch = name, patch

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        exec_module, patch = spec.loader.exec_module, self.patch

        class Loader(type(spec.loader)):
            def exec_module(self, module):
                exec_module(module)
                patch(module)

        spec.loader = Loader(spec.loader.name, spec.loader.path)
        return spec


def _after_import(name, patch):
    """Patch ``name`` now if it is imported, else as soon as it is; False if already arranged."""
    if any(isinstance(f, _PatchAfterImport) and f.name == name for f in sys.meta_path):
        return False
    if name in sys.modules:
        patch(sys.modules[name])
    else:
        sys.meta_path.insert(0, _PatchAfterImport(name, patch))
    return True


SHIMS = (serve_django_utils_six, provide_asgiref1_modules, accept_signal_providing_args,
         relabel_channels_delay, set_up_channel_live_server_per_test)


def apply():
    """Run every shim this Django and asgiref need; the names of those that patched."""
    global channels_imported_first
    if channels_imported_first is None:
        channels_imported_first = "channels" in sys.modules
    applied = [shim.__name__ for shim in SHIMS if shim()]
    if applied and channels_imported_first:
        # Run channels/__init__.py again, now that what it imports exists, so the
        # process gets as far as the system checks, where E020 names the mistake.
        importlib.reload(sys.modules["channels"])
    return applied
