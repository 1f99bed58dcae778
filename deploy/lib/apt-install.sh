#!/usr/bin/env bash
# Shared by the test-setup installers (deploy/rsyslog, deploy/alertmanager, deploy/browser):
# installs Debian packages as root or through password-less sudo, refreshing the package lists only
# when a package is unknown (a fresh image has empty lists). Source it, then call
#   apt_install NAME NO_SERVICES PACKAGE...
# NAME prefixes every message; with NO_SERVICES=1 the install runs with a policy-rc.d that denies
# every service start (exit 101, the Debian convention, honoured by invoke-rc.d and
# deb-systemd-invoke): the tests run their own daemons as child processes, and a CI container has
# no init system anyway. An existing /usr/sbin/policy-rc.d (Docker images ship one that does exactly
# this) is left alone; otherwise a temporary one is put in place and removed afterwards.

apt_install() {
  local name="$1" no_services="$2"
  shift 2
  local packages=("$@")
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$name: this is not a Debian/Ubuntu system (no apt-get); install ${packages[*]} (or their equivalent) yourself" >&2
    return 1
  fi
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      echo "$name: installing needs root (run: apt-get install -y --no-install-recommends ${packages[*]})" >&2
      return 1
    fi
  fi
  local policy=/usr/sbin/policy-rc.d remove_policy=0
  if [[ "$no_services" -eq 1 && ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# temporary, from mailflow deploy/lib/apt-install.sh: no service starts during the install\nexit 101\n' \
      | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    remove_policy=1
  fi
  echo "$name: installing ${packages[*]} from the distribution's packages"
  local status=0
  if ! apt-cache show "${packages[@]}" >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update -q || status=$?
  fi
  if [[ "$status" -eq 0 ]]; then
    # --no-install-recommends keeps out desktop extras; what the packages depend on is enough
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}" || status=$?
  fi
  if [[ "$remove_policy" -eq 1 ]]; then
    "${sudo[@]}" rm -f "$policy"
  fi
  return "$status"
}
