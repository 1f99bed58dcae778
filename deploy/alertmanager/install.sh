#!/usr/bin/env bash
# Installs Prometheus Alertmanager (Debian package prometheus-alertmanager) for AlertmanagerBridgeIT,
# the test that runs `mailflow notify` against a real Alertmanager's API v2.
# Idempotent: does nothing (in well under a second) when /usr/bin/prometheus-alertmanager is there.
# The install starts no service (the package would start one on port 9093): the test runs its own
# `prometheus-alertmanager --web.listen-address=127.0.0.1:<free port> --cluster.listen-address=`.
set -euo pipefail
source "$(dirname "$0")/../lib/apt-install.sh"

BINARY=/usr/bin/prometheus-alertmanager
version() { "$BINARY" --version 2>&1 | head -1 || true; }
if [[ -x "$BINARY" ]]; then
  echo "alertmanager: $(version) is installed"
  exit 0
fi
apt_install alertmanager 1 prometheus-alertmanager
if [[ ! -x "$BINARY" ]]; then
  echo "alertmanager: installed, but $BINARY is still missing (dpkg -L prometheus-alertmanager)" >&2
  exit 1
fi
echo "alertmanager: installed $(version)"
