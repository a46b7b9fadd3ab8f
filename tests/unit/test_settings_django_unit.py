"""Settings that differ between the Django lines: read the way each line wants them."""
import os
import subprocess
import sys

import django

from tests.support.paths import ROOT


def setting(name, **env):
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c",
         "from django.conf import settings; print(settings.%s)" % name],
        cwd=ROOT, env=dict(os.environ, RUN_ENV_FILE="", **env),
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_csrf_trusted_origins_keep_their_scheme_where_django_requires_it():
    origins = setting("CSRF_TRUSTED_ORIGINS",
                      DJANGO_CSRF_TRUSTED_ORIGINS="https://example.com, https://*.example.org")
    if django.VERSION >= (4, 0):
        assert origins == "['https://example.com', 'https://*.example.org']"
    else:  # 2.2 compares bare hosts
        assert origins == "['example.com', '*.example.org']"


def test_no_trusted_origins_unless_named():
    assert setting("CSRF_TRUSTED_ORIGINS") == "[]"
