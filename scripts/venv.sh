# Sourced by ./run and ./run-tests: make .venv with python3 (3.11) if it is
# missing and install the given requirements file into it. Installing is
# skipped when the file has not changed since the last successful install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
requirements="$1"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=".venv/.installed-$(basename "$requirements")"
if [ ! -f "$stamp" ] || ! cmp -s <(cat requirements*.txt) "$stamp"; then
  .venv/bin/python -m pip install --disable-pip-version-check -q -r "$requirements"
  .venv/bin/python -m pip check
  cat requirements*.txt > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
