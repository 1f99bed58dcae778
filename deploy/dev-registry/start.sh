#!/usr/bin/env bash
# Starts the development schema registry in the foreground on PORT (default 8081).
# Confluent-compatible API: http://localhost:PORT/apis/ccompat/v7
# In-memory storage: ids and subjects are gone after a restart, unless MAILFLOW_REGISTRY_DATA names
# a directory: then they are kept in an H2 database file there and survive restarts.
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
# Global compatibility BACKWARD, Confluent's default (Apicurio's is NONE). The property below is
# only Apicurio's default rule: registrations are checked against it, but the Confluent API's
# GET /config reads the global rule stored in the registry's database and answers NONE while there
# is none (ConfigResourceImpl.getGlobalCompatibilityLevel, Apicurio 2.4.2). So once the registry
# answers, the rule is also stored with PUT /config, and both say BACKWARD.
STORAGE=()
if [[ -n "${MAILFLOW_REGISTRY_DATA:-}" ]]; then
  mkdir -p "$MAILFLOW_REGISTRY_DATA"
  STORAGE=(-DREGISTRY_DATASOURCE_URL="jdbc:h2:file:$(cd "$MAILFLOW_REGISTRY_DATA" && pwd)/registry_db")
fi
CONFIG="http://127.0.0.1:$PORT/apis/ccompat/v7/config"
# the PUT runs beside the registry; the registry itself is exec'd, so this script's pid is the
# registry's and a kill (even -9, as scripts that started it in the background send) stops it
(
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
        --data '{"compatibility":"BACKWARD"}' "$CONFIG" 2>/dev/null; then
      echo "dev-registry: global compatibility BACKWARD (GET $CONFIG)" >&2
      exit 0
    fi
    sleep 0.2
  done
) &
exec java -Xmx256m -XX:+UseSerialGC \
  "${STORAGE[@]}" \
  -Dquarkus.http.port="$PORT" \
  -Dquarkus.http.host=127.0.0.1 \
  -Dregistry.rules.global.compatibility=BACKWARD \
  -jar "$JAR"
