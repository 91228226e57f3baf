#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (CTest). Extra arguments go to ctest,
# e.g. `scripts/test.sh -LE slow` for the fast suite only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
"$root/scripts/build.sh"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
