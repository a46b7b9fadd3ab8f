"""No usable secret key in the repository: each checkout makes its own, and placeholders stop the site."""
import os
import shutil
import subprocess
import sys

import jwt
import pytest
from django.core.exceptions import ImproperlyConfigured

from channels_kit.operations.secret_key import checkout_key, refuse_known
from tests.support.paths import ROOT

# The key this repository's settings used to fall back to, committed for all to read.
COMMITTED = "insecure-dev-key-set-DJANGO_SECRET_KEY-in-production"


def test_a_checkout_key_is_random_private_and_kept(tmp_path):
    first, second = tmp_path / "a" / ".secret_key", tmp_path / "b" / ".secret_key"
    first.parent.mkdir(), second.parent.mkdir()
    key = checkout_key(str(first))
    assert len(key) >= 50 and checkout_key(str(first)) == key
    assert checkout_key(str(second)) != key
    assert oct(first.stat().st_mode & 0o777) == "0o600"
    assert sorted(os.listdir(first.parent)) == [".secret_key"]  # no temporary file left


@pytest.mark.parametrize("key", ["", COMMITTED, "change-me", "django-insecure-" + "x" * 50])
def test_placeholders_are_refused(key):
    with pytest.raises(ImproperlyConfigured):
        refuse_known(key)


def fresh_checkout(tmp_path):
    """The files git tracks here (as they are now), without anything ignored: a new clone."""
    target = tmp_path / "checkout"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = os.path.join(ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(str(target / name)), exist_ok=True)
            shutil.copy2(source, str(target / name))
    return target


def settings_key(checkout, **env):
    environment = dict(os.environ, RUN_ENV_FILE="", **env)
    environment.pop("DJANGO_SECRET_KEY", None)
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c",
         "from django.conf import settings; print(settings.SECRET_KEY)"],
        cwd=str(checkout), env=environment, capture_output=True, text=True, timeout=60)
    return result


def test_a_fresh_checkout_makes_its_own_key_and_git_ignores_it(tmp_path):
    checkout = fresh_checkout(tmp_path)
    shutil.copytree(checkout, tmp_path / "other")
    first = settings_key(checkout).stdout.strip()
    second = settings_key(tmp_path / "other").stdout.strip()
    assert len(first) >= 50 and first != second
    assert (checkout / ".secret_key").read_text().strip() == first
    assert first not in subprocess.run(["git", "grep", "-I", "-h", "-e", first[:20]], cwd=ROOT,
                                       capture_output=True, text=True).stdout
    ignored = subprocess.run(["git", "check-ignore", "-q", ".secret_key"], cwd=ROOT)
    assert ignored.returncode == 0


def test_the_site_will_not_start_with_the_once_committed_key(tmp_path):
    result = settings_key(fresh_checkout(tmp_path), DJANGO_SECRET_KEY=COMMITTED)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is a placeholder" in result.stderr


def test_a_token_signed_with_the_once_committed_key_is_refused():
    from channels_kit.client_errors import ClientError
    from channels_kit.jwt import tokens
    forged = jwt.encode({"username": "admin", "exp": 4102444800}, COMMITTED, algorithm="HS256")
    with pytest.raises(ClientError) as refused:
        tokens.refreshed(forged if isinstance(forged, str) else forged.decode())
    assert refused.value.error == "token-bad-signature"
