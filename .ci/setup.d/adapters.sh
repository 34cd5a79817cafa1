#!/usr/bin/env bash
# Socket adapter tests: tests/streams/adapter_errors_test.ts uses /usr/bin/python3
# for a listener that never accepts (connect timeouts on loopback).
set -euo pipefail
if [ ! -x /usr/bin/python3 ]; then
  apt-get update && apt-get install -y --no-install-recommends python3
fi
