# Sourced by ./run and ./run-tests: make the venv if it is missing, install
# the pins into it, and put it first on PATH. Installing is skipped when the
# requirements have not changed since the last install.
#
#   source scripts/venv.sh requirements.txt       # the runtime pins (./run)
#   source scripts/venv.sh requirements-test.txt  # the runtime pins + the test pins
#
# The runtime pins are requirements.txt (Django 5.2 LTS) unless
# REQUIREMENTS=requirements-django22.txt names the Django 2.2 set; a set other
# than requirements.txt gets a venv of its own, named for it (.venv-django22).
# The default venv is .venv, made with python3. PYTHON=python3.13 (a command
# or a path) makes and uses .venv-3.13 instead (.venv-3.13-django22 with the
# 2.2 set), so each Python keeps its own venv next to the default one;
# requirements.txt's markers pick its pins.
#
# Every pin is exact and transitive pins are listed, so pip installs with
# --no-deps: channels, daphne and asgi_redis declare asgiref~=1.1, which the
# 5.2 set (asgiref 3, channels_kit supplies the 1.x names) contradicts on
# purpose. pip check may then report those three asgiref lines and nothing else.
# PROJECT_VENV names the venv in use, for messages that show a command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/python.sh
runtime="${REQUIREMENTS:-requirements.txt}"
if [ ! -f "$runtime" ]; then
  echo "venv: REQUIREMENTS=$runtime is not a file here (requirements.txt or requirements-django22.txt)" >&2
  exit 1
fi
case "$1" in
  requirements-test.txt) pin_files=("$runtime" requirements-test.txt) ;;
  *) pin_files=("$runtime") ;;
esac
suffix=""
if [ "$runtime" != requirements.txt ]; then
  name="$(basename "$runtime" .txt)"
  suffix="-${name#requirements-}"
fi
if [ -z "${PYTHON:-}" ]; then
  interpreter=python3
  venv=".venv$suffix"
else
  if ! interpreter="$(find_python "$PYTHON")"; then
    echo "venv: PYTHON=$PYTHON is not a Python that runs here" >&2
    exit 1
  fi
  venv=".venv-$(python_version "$interpreter")$suffix"
fi
if [ ! -x "$venv/bin/python" ]; then
  "$interpreter" -m venv "$venv"
fi
stamp="$venv/.installed-$(basename "$1")"
if [ ! -f "$stamp" ] || ! cmp -s <(cat requirements*.txt) "$stamp"; then
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps \
    $(printf -- '-r %s ' "${pin_files[@]}")
  "$venv/bin/python" scripts/pip_check.py
  cat requirements*.txt > "$stamp"
fi
export PROJECT_VENV="$venv" PATH="$PWD/$venv/bin:$PATH"
