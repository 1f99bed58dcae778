#!/usr/bin/env bash
# Installs rsyslog and its Kafka output module (Debian packages rsyslog + rsyslog-kafka) for
# RsyslogRawLinesIT, the test that runs deploy/rsyslog/mailflow-omkafka.conf against a real broker.
# Idempotent: does nothing (in well under a second) when rsyslogd and omkafka.so are already there.
#
# The packages' maintainer scripts would start rsyslog as a system service; the test does not want
# that (it runs its own `rsyslogd -n -f <generated conf>` as a child process), and a CI container
# has no init system to start it with anyway. So the install runs with a policy-rc.d that denies
# every service start (exit 101, the Debian convention, honoured by invoke-rc.d and
# deb-systemd-invoke). An existing /usr/sbin/policy-rc.d (Docker images ship one that does exactly
# this) is left alone; otherwise a temporary one is put in place and removed afterwards.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"   # rsyslogd lives in /usr/sbin, often not on a user's PATH

# Debian: /usr/lib/<multiarch>/rsyslog/omkafka.so (dpkg -L rsyslog-kafka), e.g. x86_64-linux-gnu
module() { ls /usr/lib/*/rsyslog/omkafka.so /usr/lib/rsyslog/omkafka.so 2>/dev/null | head -1 || true; }
version() { rsyslogd -v 2>/dev/null | head -1 | sed 's/ *compiled with:.*//; s/  */ /g' || true; }
MODULE="$(module)"
if command -v rsyslogd >/dev/null 2>&1 && [[ -n "$MODULE" ]]; then
  echo "rsyslog: $(version) with $MODULE is installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "rsyslog: rsyslogd with omkafka is missing and this is not a Debian/Ubuntu system (no apt-get);" \
       "install rsyslog and its Kafka module (omkafka) yourself" >&2
  exit 1
fi
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "rsyslog: rsyslogd with omkafka is missing and installing it needs root" \
         "(run: apt-get install -y rsyslog rsyslog-kafka)" >&2
    exit 1
  fi
fi

POLICY=/usr/sbin/policy-rc.d
REMOVE_POLICY=0
if [[ ! -e "$POLICY" ]]; then
  printf '#!/bin/sh\n# temporary, from mailflow deploy/rsyslog/install.sh: no service starts during the install\nexit 101\n' \
    | "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  REMOVE_POLICY=1
fi
cleanup() { if [[ "$REMOVE_POLICY" -eq 1 ]]; then "${SUDO[@]}" rm -f "$POLICY"; fi; }
trap cleanup EXIT

echo "rsyslog: installing rsyslog rsyslog-kafka from the distribution's packages"
export DEBIAN_FRONTEND=noninteractive
# update the package lists only when the candidate is unknown (a fresh image has empty lists)
if ! apt-cache show rsyslog-kafka >/dev/null 2>&1; then
  "${SUDO[@]}" apt-get update -q
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rsyslog rsyslog-kafka

MODULE="$(module)"
if ! command -v rsyslogd >/dev/null 2>&1 || [[ -z "$MODULE" ]]; then
  echo "rsyslog: installed, but rsyslogd or omkafka.so is still missing (dpkg -L rsyslog rsyslog-kafka)" >&2
  exit 1
fi
echo "rsyslog: installed $(version), $MODULE"
