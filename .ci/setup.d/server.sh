#!/usr/bin/env bash
# Peers the server tests drive: curl (FTP, FTPS, active mode), lftp (mirror) and Python 3
# (ftplib, with TLS, is in the standard library). Idempotent.
set -euo pipefail

missing=()
command -v curl >/dev/null || missing+=(curl)
command -v lftp >/dev/null || missing+=(lftp)
[ -x /usr/bin/python3 ] || command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
curl --version | head -1
lftp --version | head -1
/usr/bin/python3 --version 2>/dev/null || python3 --version
