#!/usr/bin/env bash
# Builds the development schema registry (Apicurio Registry 2.4.2.Final from Maven Central) into
# deploy/dev-registry/target/mailflow-dev-registry-2.4.2-runner.jar (+ target/lib/).
# Idempotent: does nothing when the jar is newer than pom.xml. First build ~3 min and ~230 MB of
# downloads into ~/.m2; later builds (jar removed) 15-20 s.
set -euo pipefail
cd "$(dirname "$0")"
JAR=target/mailflow-dev-registry-2.4.2-runner.jar
if [[ -f "$JAR" && -d target/lib && "$JAR" -nt pom.xml && "${1:-}" != "--force" ]]; then
  echo "dev-registry: $JAR is up to date"
  exit 0
fi
echo "dev-registry: building $JAR"
mvn -B -q package
test -f "$JAR"
echo "dev-registry: built $JAR"
