#!/usr/bin/env bash
# changelog-writes.sh LOGS...
#
# What the analyzer writes to Kafka besides its outputs, per topic: a local broker
# (kafka-start.sh), the dev registry, one `mailflow run` on a one-partition traces topic (as the
# embedded replay has), `mailflow replay` of LOGS into it, and once the application has caught up
# (`mailflow lag --wait`) the broker stopped and the data records of every changelog and
# repartition topic counted in its log segments (CountRecords.java; transaction markers are left
# out, end offsets would count them). Prints records per topic and in total, and per trace record.
# Run from the project root after `mvn -B -q package -DskipTests` and deploy/dev-registry/build.sh;
# uses ports 9092, 9093, 8081 and 9483.
set -u
[ $# -gt 0 ] || { sed -n '2,/^[^#]/{/^#/p;}' "$0"; exit 2; }
work=${TMPDIR:-/tmp}/mailflow-changelog-writes
. "$(dirname "$0")/check-lib.sh"
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT
rm -rf "$work"; mkdir -p "$work"
start_broker; start_registry ""; await_cluster
nohup "$mf" run -b 127.0.0.1:9092 -r "$reg" --metrics-port 9483 --query-port 0 -D application.id=writes \
  -D state.dir="$work/state" -D mailflow.topic.partitions=1 -D mailflow.topic.retention=infinite >"$work/run.log" 2>&1 &
pids+=($!); disown
for _ in $(seq 1 120); do [ "$(curl -s localhost:9483/health)" = RUNNING ] && break; sleep 1; done
"$mf" replay -b 127.0.0.1:9092 -r "$reg" -D mailflow.topic.partitions=1 -D mailflow.topic.retention=infinite "$@" \
  >"$work/replay.log" 2>&1 || { echo "replay failed (see $work/replay.log)"; exit 1; }
"$mf" lag -b 127.0.0.1:9092 --application-id writes --wait --timeout 30m >"$work/lag.log" 2>&1 \
  || { echo "the analyzer did not catch up (see $work/lag.log)"; exit 1; }
traces=$(awk '$1 == "mailflow.traces" {gsub(",", "", $2); print $2}' "$work/lag.log" | tail -1)
cleanup; pids=(); sleep 2
java -cp "analyzer/target/lib/*" "$(dirname "$0")/CountRecords.java" "$work/kafka/log" writes- \
  | awk -v t="$traces" '{print} $2 == "total" {gsub(",", "", $1); if (t > 0) printf "%12.2f  per trace record (%s trace records, progress markers included)\n", $1 / t, t}'
