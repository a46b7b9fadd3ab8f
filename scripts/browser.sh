# Sourced by ./run-tests: make sure Debian's Chromium is there for the
# browser tests (tests/test_browser_*_e2e.py). Playwright drives this binary;
# its own browser download is never used.
#
# Installs only when chromium is missing and we can: root with apt-get.
# Otherwise it says so and carries on; the browser tests then skip, or fail
# under STRICT_TOOLS=1 (CI). Quiet and idempotent: nothing is done or
# printed when chromium is already on PATH.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-tests: installing chromium for the browser tests (apt-get)" >&2
    apt_log="$(mktemp)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$apt_log" 2>&1; then
      echo "run-tests: apt-get could not install chromium; browser tests will not run:" >&2
      tail -n 20 "$apt_log" >&2
    fi
    rm -f "$apt_log"
  else
    echo "run-tests: chromium not found and not root with apt-get; browser tests will not run" \
         "(install it with: apt-get install chromium)" >&2
  fi
fi
