#!/bin/sh
# Install Debian's Electrum (4.3.4 on Debian 12) for the sandbox interop test, once; quiet and idempotent.
set -eu
if command -v electrum >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends electrum >/dev/null
electrum version --offline >/dev/null 2>&1 || true
command -v electrum >/dev/null
