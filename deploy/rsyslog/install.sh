#!/usr/bin/env bash
# Installs rsyslog and its Kafka output module (Debian packages rsyslog + rsyslog-kafka) for
# RsyslogRawLinesIT, the test that runs deploy/rsyslog/mailflow-omkafka.conf against a real broker.
# Idempotent: does nothing (in well under a second) when rsyslogd and omkafka.so are already there.
# The install starts no service: the test runs its own `rsyslogd -n -f <generated conf>`.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"   # rsyslogd lives in /usr/sbin, often not on a user's PATH
source "$(dirname "$0")/../lib/apt-install.sh"

# Debian: /usr/lib/<multiarch>/rsyslog/omkafka.so (dpkg -L rsyslog-kafka), e.g. x86_64-linux-gnu
module() { ls /usr/lib/*/rsyslog/omkafka.so /usr/lib/rsyslog/omkafka.so 2>/dev/null | head -1 || true; }
version() { rsyslogd -v 2>/dev/null | head -1 | sed 's/ *compiled with:.*//; s/  */ /g' || true; }
MODULE="$(module)"
if command -v rsyslogd >/dev/null 2>&1 && [[ -n "$MODULE" ]]; then
  echo "rsyslog: $(version) with $MODULE is installed"
  exit 0
fi
apt_install rsyslog 1 rsyslog rsyslog-kafka
MODULE="$(module)"
if ! command -v rsyslogd >/dev/null 2>&1 || [[ -z "$MODULE" ]]; then
  echo "rsyslog: installed, but rsyslogd or omkafka.so is still missing (dpkg -L rsyslog rsyslog-kafka)" >&2
  exit 1
fi
echo "rsyslog: installed $(version), $MODULE"
