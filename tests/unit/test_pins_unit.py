"""The installed pins: what pip check says about them, and who owns msgpack/.

scripts/venv.sh installs every exact pin with --no-deps and then runs
scripts/pip_check.py, which lets through only the asgiref lines the 5.2 set
contradicts on purpose. These tests pin that list down, on the line this
venv runs (CI runs them on the 5.2 and the 2.2 set).
"""
import sys

import django
from django.utils.version import get_version

from channels_kit.checks import deployment as checks
from scripts import pip_check

# On the 5.2 set: channels, daphne and asgi_redis declare the asgiref 1.x they
# were released with; channels_kit serves its module names (channels_kit/asgi1).
ON_DJANGO_5 = {
    "channels 1.1.8 has requirement asgiref~=1.1, but you have asgiref 3.13.0.",
    "daphne 1.4.2 has requirement asgiref~=1.1, but you have asgiref 3.13.0.",
    "asgi-redis 1.4.3 has requirement asgiref~=1.1.2, but you have asgiref 3.13.0.",
}


def test_pip_check_reports_exactly_the_three_asgiref_lines():
    lines = {line for line in pip_check.pip_check_lines(sys.executable)
             if line != pip_check.ALL_GOOD}
    if django.VERSION >= (3, 0):
        assert lines == ON_DJANGO_5
    else:
        assert lines == set(), "the Django 2.2 set installs with no disagreement at all"
    assert pip_check.unexpected(sorted(lines)) == []


def test_pip_check_script_refuses_any_other_line():
    other = "autobahn 25.10.2 requires txaio, which is not installed."
    assert pip_check.unexpected(sorted(ON_DJANGO_5) + [other]) == [other]
    moved = "channels 1.1.8 has requirement asgiref~=1.2, but you have asgiref 3.13.0."
    assert pip_check.unexpected([moved]) == [moved]


def test_only_msgpack_python_owns_the_msgpack_folder():
    """The msgpack trap: autobahn's msgpack 1.x and asgi_redis's msgpack-python share msgpack/."""
    owners = sorted(checks.canonical_name(dist.metadata["Name"])
                    for dist in checks.installed_distributions() if checks.owns_msgpack_folder(dist))
    assert owners == ["msgpack-python"]
    assert checks.check_msgpack() == []


def test_the_runtime_pins_name_the_django_this_venv_runs():
    with open("requirements.txt" if django.VERSION >= (3, 0) else "requirements-django22.txt") as pins:
        assert "Django==%s\n" % get_version() in pins.read()
