#!/usr/bin/env bash
# Installs Prometheus Alertmanager (Debian package prometheus-alertmanager) for AlertmanagerBridgeIT,
# the test that runs `mailflow notify` against a real Alertmanager's API v2.
# Idempotent: does nothing (in well under a second) when /usr/bin/prometheus-alertmanager is there.
#
# The package's maintainer scripts would start Alertmanager as a system service on port 9093; the
# test does not want that (it runs its own `prometheus-alertmanager --web.listen-address=127.0.0.1:<free port>
# --cluster.listen-address=` as a child process, with its own config and storage directory), and a
# CI container has no init system anyway. So the install runs with a policy-rc.d that denies every
# service start (exit 101, the Debian convention, honoured by invoke-rc.d and deb-systemd-invoke).
# An existing /usr/sbin/policy-rc.d (Docker images ship one that does exactly this) is left alone;
# otherwise a temporary one is put in place and removed afterwards.
set -euo pipefail

BINARY=/usr/bin/prometheus-alertmanager
version() { "$BINARY" --version 2>&1 | head -1 || true; }
if [[ -x "$BINARY" ]]; then
  echo "alertmanager: $(version) is installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "alertmanager: $BINARY is missing and this is not a Debian/Ubuntu system (no apt-get);" \
       "install Prometheus Alertmanager yourself, or point -Dmailflow.alertmanager.binary=PATH at it" >&2
  exit 1
fi
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "alertmanager: $BINARY is missing and installing it needs root" \
         "(run: apt-get install -y --no-install-recommends prometheus-alertmanager)" >&2
    exit 1
  fi
fi

POLICY=/usr/sbin/policy-rc.d
REMOVE_POLICY=0
if [[ ! -e "$POLICY" ]]; then
  printf '#!/bin/sh\n# temporary, from mailflow deploy/alertmanager/install.sh: no service starts during the install\nexit 101\n' \
    | "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  REMOVE_POLICY=1
fi
cleanup() { if [[ "$REMOVE_POLICY" -eq 1 ]]; then "${SUDO[@]}" rm -f "$POLICY"; fi; }
trap cleanup EXIT

echo "alertmanager: installing prometheus-alertmanager from the distribution's packages"
# update the package lists only when the candidate is unknown (a fresh image has empty lists)
if ! apt-cache show prometheus-alertmanager >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update -q
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus-alertmanager

if [[ ! -x "$BINARY" ]]; then
  echo "alertmanager: installed, but $BINARY is still missing (dpkg -L prometheus-alertmanager)" >&2
  exit 1
fi
echo "alertmanager: installed $(version)"
