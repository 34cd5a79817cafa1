#!/usr/bin/env bash
# Tools the CLI, examples and package suites need: script(1) from util-linux/bsdutils
# (runs the CLI on a pseudo-terminal in tests/cli/cli_terminal_test.ts), stty, and
# pyftpdlib for Debian's /usr/bin/python3 (tests/cli/cli_peer_test.ts).
# Node, npm, Deno and Bun come from the runner image and npm devDependencies.
set -euo pipefail
missing=()
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
command -v stty >/dev/null 2>&1 || missing+=(coreutils)
/usr/bin/python3 -c "import pyftpdlib" >/dev/null 2>&1 || missing+=(python3-pyftpdlib)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
