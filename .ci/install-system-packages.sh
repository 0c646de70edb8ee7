#!/bin/sh
# Debian packages the tests drive for real, installed once with one `apt-get update`; quiet and idempotent.
#   electrum  — the real Electrum 4.3.4 wallet, checking the sandbox chain (test/integration/electrum-interop)
#   chromium  — the console's Playwright tests (playwright-core with executablePath; no browser download)
#   prosody   — a real XMPP server for XMPP callback agents (test/integration/callbacks-xmpp)
#   with SATDESK_REALNODE set: the run-time libraries of its Bitcoin Core, Fulcrum and ElectrumX (its README)
set -eu
missing=""
command -v electrum >/dev/null 2>&1 || missing="$missing electrum"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
{ command -v prosody >/dev/null 2>&1 && command -v prosodyctl >/dev/null 2>&1; } || missing="$missing prosody"
if [ -n "${SATDESK_REALNODE:-}" ]; then
  for p in libevent-core-2.1-7 libevent-extra-2.1-7 libevent-pthreads-2.1-7 libsqlite3-0 librocksdb7.8 libqt5core5a \
    libqt5network5 libzmq5 libjemalloc2 python3-plyvel python3-aiohttp openssl; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
fi
[ -z "$missing" ] && exit 0
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
echo "installing:$missing"
$SUDO apt-get update -qq >/dev/null
# electrum with its recommends (the Qt bindings it was verified with here); the others without (fonts, helpers).
lean=$(echo "$missing" | sed 's/ electrum//')
case "$missing" in *electrum*) $SUDO apt-get install -y -qq electrum >/dev/null ;; esac
# shellcheck disable=SC2086
[ -n "$(echo $lean)" ] && $SUDO apt-get install -y -qq --no-install-recommends $lean >/dev/null
command -v electrum >/dev/null && [ -x /usr/bin/chromium ] && command -v prosody >/dev/null
