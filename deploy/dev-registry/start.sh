#!/usr/bin/env bash
# Starts the development schema registry in the foreground on PORT (default 8081).
# Confluent-compatible API: http://localhost:PORT/apis/ccompat/v7
# In-memory storage: ids and subjects are gone after a restart.
set -euo pipefail
cd "$(dirname "$0")"
PORT="${1:-8081}"
JAR=target/mailflow-dev-registry-2.4.2-runner.jar
if [[ ! -f "$JAR" ]]; then
  echo "dev-registry: $JAR is missing; build it with deploy/dev-registry/build.sh" >&2
  exit 1
fi
# Not -Dregistry.ccompat.use-canonical-hash=true: with it Apicurio 2.4.2 stores and serves the
# canonical form with record fields sorted by name, which changes the binary layout, so every
# deserializer that fetches the writer schema by id decodes garbage (docs/schema-registry.md).
# global compatibility BACKWARD: Confluent's default (Apicurio's is NONE).
exec java -Xmx256m -XX:+UseSerialGC \
  -Dquarkus.http.port="$PORT" \
  -Dquarkus.http.host=127.0.0.1 \
  -Dregistry.rules.global.compatibility=BACKWARD \
  -jar "$JAR"
