#!/usr/bin/env bash
# Installs what is missing, builds, and serves the HTTP APIs on the shipped config (mock mode,
# no keys) on 127.0.0.1:8080 until Ctrl-C. Extra arguments go to `switchboard serve`, e.g.
# `scripts/run.sh --listen 127.0.0.1:0` for a free port.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh" switchboard switchboard_plugins  # the host and its plugins, not the tests
exec "${BUILD_DIR:-$root/build}/bin/switchboard" serve --config "$root/config/switchboard.toml" "$@"
