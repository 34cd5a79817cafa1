#!/usr/bin/env bash
# The adversarial suite (tests/reliability/) needs no peer daemons: it runs
# ftpkit's server and its own raw clients on loopback. It does need:
# - 127.0.0.2 on the loopback interface (foreign-address and flood tests bind
#   client sockets to it; Linux routes all of 127/8 to lo by default);
# - enough file descriptors for the soak (100 clients in CI, 500 with --full).
set -euo pipefail
if ! ping -c1 -W1 127.0.0.2 >/dev/null 2>&1 && command -v ip >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO ip addr add 127.0.0.2/8 dev lo 2>/dev/null || true
fi
limit=$(ulimit -n)
if [ "$limit" != "unlimited" ] && [ "$limit" -lt 2048 ]; then
  echo "reliability: ulimit -n is $limit; the --full soak (500 clients) needs about 2000 descriptors per process" >&2
fi
