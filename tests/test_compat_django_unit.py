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
from tests.paths import ROOT

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
EXPECTED = {
    "serve_django_utils_six": "/r/",
    "provide_asgiref1_modules": "a?",
    "accept_signal_providing_args": "[]",
    "relabel_channels_delay": "channels.delay",
}


def python(code, kit_first):
    prefix = "import sys; " + ("import channels_kit; " if kit_first else "")
    return subprocess.run([sys.executable, "-c", prefix + code], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_shim_is_what_this_django_needs(name):
    since, code, upstream_error = CASES[name]
    if name == "relabel_channels_delay" and django.VERSION[:2] < since:
        # Before 3.2 the label stays "channels.delay": Django accepted it.
        code = code.replace("'channels_delay'", "'channels.delay'")
    shimmed = python(code, kit_first=True)
    assert shimmed.returncode == 0, shimmed.stderr
    assert shimmed.stdout.split()[-1] == EXPECTED[name]
    bare = python(code, kit_first=False)
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
