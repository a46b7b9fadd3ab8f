# Sourced by ./run-tests: make sure OpenSSH's server is there for the
# terminal tests (tests/test_terminal_e2e.py and friends). The tests run
# their own sshd on a free port with their own keys and config; the
# package's own service is never started or touched.
#
# Installs only when sshd is missing and we can: root with apt-get.
# Otherwise it says so and carries on; the terminal tests then skip, or fail
# under STRICT_TOOLS=1 (CI). Quiet and idempotent: nothing is done or
# printed when sshd is already installed.
if ! command -v sshd >/dev/null 2>&1 && [ ! -x /usr/sbin/sshd ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-tests: installing openssh-server for the terminal tests (apt-get)" >&2
    apt_log="$(mktemp)"
    # On a machine with a running init system, Debian's package also starts
    # the system sshd on port 22; the tests never use it (in a container
    # without one, policy-rc.d stops it from starting at all).
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server; } >"$apt_log" 2>&1; then
      echo "run-tests: apt-get could not install openssh-server; terminal tests will not run:" >&2
      tail -n 20 "$apt_log" >&2
    fi
    rm -f "$apt_log"
  else
    echo "run-tests: sshd not found and not root with apt-get; terminal tests will not run" \
         "(install it with: apt-get install openssh-server)" >&2
  fi
fi
