#!/usr/bin/env bash
# Installs Confluent's JavaScript schema registry client for the interop test (npm ci from the
# committed package-lock.json; ~170 MB, ~30 s). Idempotent: skips when node_modules matches the lock.
set -euo pipefail
cd "$(dirname "$0")"
if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json \
      && -d node_modules/@confluentinc/schemaregistry ]]; then
  echo "js-interop: node_modules is up to date"
  exit 0
fi
npm ci --no-audit --no-fund --ignore-scripts
