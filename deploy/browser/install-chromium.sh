#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian packages chromium + chromium-driver) for
# WebPageIT, the real-browser test of the web page `mailflow run` serves on its query port.
# Idempotent: does nothing (in well under a second) when /usr/bin/chromium and
# /usr/bin/chromedriver are already there.
set -euo pipefail
source "$(dirname "$0")/../lib/apt-install.sh"

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver
version() { "$CHROMIUM" --version 2>/dev/null | head -1 || true; }
if [[ -x "$CHROMIUM" && -x "$DRIVER" ]]; then
  echo "chromium: $(version) with $DRIVER is installed"
  exit 0
fi
# its fonts come with fontconfig (DejaVu); chromium-sandbox and upower are recommends, left out
apt_install chromium 0 chromium chromium-driver
if [[ ! -x "$CHROMIUM" || ! -x "$DRIVER" ]]; then
  echo "chromium: installed, but $CHROMIUM or $DRIVER is still missing (dpkg -L chromium chromium-driver)" >&2
  exit 1
fi
echo "chromium: installed $(version), $DRIVER"
