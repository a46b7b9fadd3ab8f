# Sourced by ./run-tests: make sure the programs the tests drive are there.
# Debian's Chromium for the browser tests (Playwright drives this binary; its
# own browser download is never used) and OpenSSH's server for the terminal
# tests (they run their own sshd on a free port with their own keys and
# config; the package's own service is never started or touched), and nginx
# for the WSGI split tests (they run their own nginx on a free port with the
# deploy/ config; the package's own site and service are never used), and
# Prometheus for the metrics scrape test (it runs its own server on a free
# port with deploy/'s rules; the package's service is never used), and
# Debian's redis-server, built with TLS (the embedded one is not), for the
# TLS tests (they run their own on a free port with their own certificates).
#
# A package is installed only when its program is missing and we can: root
# with apt-get, one `apt-get update` for all of them. Otherwise it says so and
# carries on; those tests then skip, or fail under STRICT_TOOLS=1 (CI). Quiet
# and idempotent: nothing is done or printed when every program is there.

# has PROGRAM [PATH]: the program is on PATH, or at PATH.
has() {
  command -v "$1" >/dev/null 2>&1 || { [ -n "${2:-}" ] && [ -x "$2" ]; }
}

missing=()      # Debian packages to install
for_tests=()    # which tests each one is for, in the same order
has chromium || { missing+=(chromium); for_tests+=("browser tests"); }
has sshd /usr/sbin/sshd || { missing+=(openssh-server); for_tests+=("terminal tests"); }
has nginx /usr/sbin/nginx || { missing+=(nginx); for_tests+=("WSGI split tests"); }
has prometheus /usr/bin/prometheus || { missing+=(prometheus); for_tests+=("metrics scrape test"); }
has /usr/bin/redis-server || { missing+=(redis-server); for_tests+=("TLS tests"); }

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "run-tests: installing ${missing[*]} for the ${for_tests[*]} (apt-get)" >&2
    apt_log="$(mktemp)"
    # On a machine with a running init system, Debian's openssh-server and
    # nginx also start the system sshd on port 22 and nginx on port 80; the
    # tests never use them (in a container without one, policy-rc.d stops
    # them from starting at all).
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >"$apt_log" 2>&1; then
      echo "run-tests: apt-get could not install ${missing[*]}; the ${for_tests[*]} will not run:" >&2
      tail -n 20 "$apt_log" >&2
    fi
    rm -f "$apt_log"
    # Where an init system started Debian's Redis service, it holds port 6379,
    # the port ./run's embedded Redis takes by default: stop it for good.
    if [[ " ${missing[*]} " == *" redis-server "* ]] && command -v systemctl >/dev/null 2>&1 &&
        systemctl is-active --quiet redis-server 2>/dev/null; then
      systemctl disable --now redis-server >/dev/null 2>&1 || true
    fi
  else
    echo "run-tests: ${missing[*]} not found and not root with apt-get; the ${for_tests[*]}" \
         "will not run (install with: apt-get install ${missing[*]})" >&2
  fi
fi
