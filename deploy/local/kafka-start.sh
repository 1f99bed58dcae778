#!/usr/bin/env bash
# Starts a standalone single-node Kafka broker (KRaft) on 127.0.0.1:9092 from the Kafka 4.4 jars
# that mailflow is built with (analyzer/target/lib), for people who want a broker outside the app.
#   deploy/local/kafka-start.sh            # foreground, data in ./.kafka-data (kept between runs)
#   MAILFLOW_KAFKA_DATA=/tmp/k deploy/local/kafka-start.sh
# Stop it with Ctrl-C. Then: mailflow run --bootstrap-servers 127.0.0.1:9092 ...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lib="$root/analyzer/target/lib"
if [ ! -d "$lib" ]; then
  echo "kafka-start: $lib not found; build first: mvn -B -q package -DskipTests" >&2
  exit 2
fi
export MAILFLOW_KAFKA_DATA="${MAILFLOW_KAFKA_DATA:-$root/.kafka-data}"
mkdir -p "$MAILFLOW_KAFKA_DATA"
config="$MAILFLOW_KAFKA_DATA/server.properties"
sed "s|\${MAILFLOW_KAFKA_DATA}|$MAILFLOW_KAFKA_DATA|" "$here/server.properties" > "$config"
cp="$lib/*:$root/analyzer/target/mailflow.jar"
if [ ! -f "$MAILFLOW_KAFKA_DATA/log/meta.properties" ]; then
  java -cp "$cp" kafka.tools.StorageTool format -t "$(java -cp "$cp" kafka.tools.StorageTool random-uuid)" \
    -c "$config" --ignore-formatted
fi
exec java -Xmx1g -cp "$cp" kafka.Kafka "$config"
