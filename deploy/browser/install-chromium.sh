#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian packages chromium + chromium-driver) for
# WebPageIT, the real-browser test of the web page `mailflow run` serves on its query port.
# Idempotent: does nothing (in well under a second) when /usr/bin/chromium and
# /usr/bin/chromedriver are already there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
DRIVER=/usr/bin/chromedriver
version() { "$CHROMIUM" --version 2>/dev/null | head -1 || true; }
if [[ -x "$CHROMIUM" && -x "$DRIVER" ]]; then
  echo "chromium: $(version) with $DRIVER is installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: $CHROMIUM or $DRIVER is missing and this is not a Debian/Ubuntu system (no apt-get);" \
       "install Chromium and its ChromeDriver yourself (the test expects them at those paths)" >&2
  exit 1
fi
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "chromium: $CHROMIUM or $DRIVER is missing and installing them needs root" \
         "(run: apt-get install -y chromium chromium-driver)" >&2
    exit 1
  fi
fi

echo "chromium: installing chromium chromium-driver from the distribution's packages"
# update the package lists only when the candidate is unknown (a fresh image has empty lists)
if ! apt-cache show chromium-driver >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update -q
fi
# --no-install-recommends keeps out the desktop extras (chromium-sandbox, upower, ...); the headless
# browser needs only what the packages depend on (its fonts come with fontconfig: DejaVu).
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver

if [[ ! -x "$CHROMIUM" || ! -x "$DRIVER" ]]; then
  echo "chromium: installed, but $CHROMIUM or $DRIVER is still missing (dpkg -L chromium chromium-driver)" >&2
  exit 1
fi
echo "chromium: installed $(version), $DRIVER"
