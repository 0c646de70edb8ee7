#!/bin/sh
# Install Debian's prosody (0.12 on Debian 12) for the XMPP callback test, once; quiet and idempotent.
# `apt-get update` runs only when the package cannot be found in the current lists.
set -eu
if command -v prosody >/dev/null 2>&1 && command -v prosodyctl >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq --no-install-recommends prosody >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null
  $SUDO apt-get install -y -qq --no-install-recommends prosody >/dev/null
fi
command -v prosody >/dev/null
