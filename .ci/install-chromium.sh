#!/bin/sh
# Install Debian's Chromium for the console's Playwright tests (test/e2e), once; quiet and idempotent.
# playwright-core drives it through executablePath (npx playwright install cannot download browsers here).
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
test -x /usr/bin/chromium
