#!/usr/bin/env bash
# Installs what Switchboard needs to build and test on Debian 12, skipping what is present.
# Run as root (or with sudo available). Safe to run again.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-filesystem1.81-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev catch2
  libcurl4-openssl-dev libsqlite3-dev libssl-dev prometheus-cpp-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm run the official OpenAI and LlamaParse clients against the host in the tests.
# A Node.js from elsewhere (NodeSource bundles npm) is fine; Debian's packages otherwise.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# libboost1.81-dev conflicts with libboost1.74-dev; apt removes the older one.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
