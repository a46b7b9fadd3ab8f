"""channels_kit.compat.djangos: each shim the 1.x stack needs on this Django, and only there.

Each test runs a fresh interpreter of this venv twice: without the kit (what
an unmodified 1.x project sees on this Django) and with ``import channels_kit``
first. From the release that removed what a shim restores, the first run
fails with the upstream error and the second works; before it, both work and
the kit leaves Django alone. CI runs this module on both lines (5.2 and 2.2).
"""
import subprocess
import sys

import django
import pytest

from channels_kit.compat import djangos
from tests.support.paths import ROOT

SETUP = ("import django; from django.conf import settings; "
         "settings.configure(INSTALLED_APPS=%r, DATABASES={}); django.setup(); ")

CASES = {
    # shim name: (needed from, code an unmodified 1.x import runs, what fails without the shim)
    "serve_django_utils_six": (
        (3, 0),
        "from django.utils.six.moves.urllib.parse import urlparse; "
        "from channels.routing import route; print(urlparse('ws://h/r/').path)",
        "No module named 'django.utils.six'"),
    "provide_asgiref1_modules": (
        (3, 0),
        "import six, django.utils; sys.modules.setdefault('django.utils.six', six); "
        "from asgi_redis import RedisChannelLayer; "
        "from asgiref.inmemory import ChannelLayer; print(ChannelLayer().new_channel('a?')[:2])",
        "No module named 'asgiref.base_layer'"),
    "accept_signal_providing_args": (
        (4, 0),
        "from django.dispatch import Signal; s = Signal(providing_args=['environ']); "
        "print(s.send(sender=None, environ={}))",
        "unexpected keyword argument 'providing_args'"),
    "relabel_channels_delay": (
        (3, 2),
        (SETUP % (["django.contrib.contenttypes", "channels.delay"],))
        + "from django.apps import apps; print(apps.get_app_config('channels_delay').name)",
        "The app label 'channels.delay' is not a valid Python identifier"),
}
# A ChannelLiveServerTestCase whose daphne and worker processes are stand-ins
# that report ready at once: what is under test is Django's set-up order.
LIVE_SERVER = (SETUP.replace("DATABASES={}", "DATABASES={'default': {'ENGINE': "
                             "'django.db.backends.sqlite3', 'NAME': sys.argv[1]}}, "
                             "CHANNEL_LAYERS={'default': {'BACKEND': 'asgiref.inmemory.ChannelLayer', "
                             "'ROUTING': [], 'TEST_CONFIG': {}}}")
               % (["channels_kit", "channels"],)) + """
if not KIT:
    # channels needs the kit's other shims to import at all (setup imported the
    # kit as an app); leave out only this one, which waits for liveserver's import.
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_PatchAfterImport']
import unittest
from channels.test.liveserver import ChannelLiveServerTestCase
class Ready:
    def __init__(self, *args):
        self.event = next(a for a in args if hasattr(a, 'wait') and hasattr(a, 'set'))
    def start(self):
        self.event.set()
    def terminate(self):
        pass
    def join(self):
        pass
class Live(ChannelLiveServerTestCase):
    ProtocolServerProcess = WorkerProcess = Ready
    def test_each_test_gets_its_servers(self):
        assert self._server_process is not None
result = unittest.TextTestRunner(stream=sys.stderr).run(
    unittest.defaultTestLoader.loadTestsFromTestCase(Live))
print(result.testsRun if result.wasSuccessful() else 'failed')
sys.exit(not result.wasSuccessful())
"""
CASES["set_up_channel_live_server_per_test"] = (
    (5, 0), LIVE_SERVER, "_pre_setup() missing 1 required positional argument: 'self'")

EXPECTED = {
    "serve_django_utils_six": "/r/",
    "provide_asgiref1_modules": "a?",
    "accept_signal_providing_args": "[]",
    "relabel_channels_delay": "channels.delay",
    "set_up_channel_live_server_per_test": "1",
}


def python(code, kit_first, db=None):
    prefix = "import sys; KIT = %r; " % kit_first + ("import channels_kit; " if kit_first else "")
    return subprocess.run([sys.executable, "-c", prefix + code] + ([db] if db else []), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_shim_is_what_this_django_needs(name, tmp_path):
    since, code, upstream_error = CASES[name]
    if name == "relabel_channels_delay" and django.VERSION[:2] < since:
        # Before 3.2 the label stays "channels.delay": Django accepted it.
        code = code.replace("'channels_delay'", "'channels.delay'")
    db = str(tmp_path / "db.sqlite3")
    shimmed = python(code, kit_first=True, db=db)
    assert shimmed.returncode == 0, shimmed.stderr
    assert shimmed.stdout.split()[-1] == EXPECTED[name]
    bare = python(code, kit_first=False, db=db)
    needed = django.VERSION[:2] >= since
    if needed:
        assert bare.returncode != 0
        assert upstream_error in bare.stderr
    else:
        assert bare.returncode == 0, bare.stderr
    assert (name in applied_in_a_fresh_interpreter()) == needed


def applied_in_a_fresh_interpreter():
    out = python("from channels_kit import compat; print(*compat.APPLIED)", kit_first=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_every_shim_has_a_case_here():
    assert sorted(CASES) == sorted(shim.__name__ for shim in djangos.SHIMS)


def test_the_kit_knows_when_channels_was_imported_before_it():
    late = python("import channels, channels_kit.compat.djangos as d; print(d.channels_imported_first)",
                  kit_first=False)
    early = python("import channels, channels_kit.compat.djangos as d; print(d.channels_imported_first)",
                   kit_first=True)
    assert late.stdout.split()[-1:] == ["True"], late.stderr
    assert early.stdout.split()[-1:] == ["False"], early.stderr


def test_a_second_apply_patches_nothing_again():
    assert djangos.apply() == []
