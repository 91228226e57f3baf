#!/usr/bin/env bash
# Installs what is missing, builds, and runs the host on the shipped config (mock mode, no keys).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" switchboard switchboard_plugins  # the host and its plugins, not the tests
exec "${BUILD_DIR:-$root/build}/bin/switchboard" demo --config "$root/config/switchboard.toml" "$@"
