"""pip check, less the disagreements the pins make on purpose.

    python scripts/pip_check.py     # exit status 1 and the lines, if anything else is broken

channels 1.1.8, daphne 1.4.2 and asgi_redis 1.4.3 declare asgiref~=1.1;
requirements.txt installs asgiref 3 for Django 5.2 and channels_kit serves
the asgiref 1.x module names they import (channels_kit/asgi1). Those three
lines are expected; any other line (a missing or wrong pin) is a broken
install, and so is a change in what pip says about these three.
"""
import re
import subprocess
import sys

EXPECTED = re.compile(r"^(channels 1\.1\.8|daphne 1\.4\.2|asgi-redis 1\.4\.3) has requirement "
                      r"asgiref~=1\.1(\.2)?, but you have asgiref 3\.\d+\.\d+\.$")


ALL_GOOD = "No broken requirements found."


def unexpected(lines):
    """The lines of pip check's output that the pins do not explain."""
    return [line for line in lines if line.strip() not in ("", ALL_GOOD) and not EXPECTED.match(line)]


def pip_check_lines(python=sys.executable):
    result = subprocess.run([python, "-m", "pip", "check", "--disable-pip-version-check"],
                            capture_output=True, text=True)
    return (result.stdout + result.stderr).splitlines()


def main():
    broken = unexpected(pip_check_lines())
    for line in broken:
        print("pip check: " + line, file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
