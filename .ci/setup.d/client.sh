#!/usr/bin/env bash
# Peers the client suite (tests/client/) runs against: vsftpd and pyftpdlib
# (Debian), plus ftp-srv and basic-ftp from npm devDependencies (npm ci).
set -euo pipefail
missing=()
command -v vsftpd >/dev/null 2>&1 || [ -x /usr/sbin/vsftpd ] || missing+=(vsftpd)
/usr/bin/python3 -c "import pyftpdlib" >/dev/null 2>&1 || missing+=(python3-pyftpdlib)
/usr/bin/python3 -c "import OpenSSL" >/dev/null 2>&1 || missing+=(python3-openssl)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
