# Sourced by ./run and ./run-tests: make the venv if it is missing, install
# the given requirements file into it, and put it first on PATH. Installing
# is skipped when the requirements have not changed since the last install.
#
# The default is .venv, made with python3. PYTHON=python3.13 (a command or a
# path) makes and uses .venv-3.13 instead, so each Python keeps its own venv
# next to the default one; requirements.txt's markers pick its pins.
# PROJECT_VENV names the venv in use, for messages that show a command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/python.sh
requirements="$1"
if [ -z "${PYTHON:-}" ]; then
  interpreter=python3
  venv=.venv
else
  if ! interpreter="$(find_python "$PYTHON")"; then
    echo "venv: PYTHON=$PYTHON is not a Python that runs here" >&2
    exit 1
  fi
  venv=".venv-$(python_version "$interpreter")"
fi
if [ ! -x "$venv/bin/python" ]; then
  "$interpreter" -m venv "$venv"
fi
stamp="$venv/.installed-$(basename "$requirements")"
if [ ! -f "$stamp" ] || ! cmp -s <(cat requirements*.txt) "$stamp"; then
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements"
  "$venv/bin/python" -m pip check
  cat requirements*.txt > "$stamp"
fi
export PROJECT_VENV="$venv" PATH="$PWD/$venv/bin:$PATH"
