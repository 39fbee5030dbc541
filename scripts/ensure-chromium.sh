#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing and we are root.
# Never downloads a browser build of Playwright's own.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/tmp/chromium-install.log 2>&1 \
    || { echo "warning: chromium could not be installed (see /tmp/chromium-install.log)"; exit 0; }
else
  echo "note: /usr/bin/chromium is missing and we are not root: browser tests will be skipped (install it with: sudo apt-get install chromium)"
fi
