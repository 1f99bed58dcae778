#!/usr/bin/env bash
# upgrade-check.sh FIRST_JAR SECOND_JAR FIRST_LOGS SECOND_LOGS
#
# An upgrade in place, checked end to end: a local broker (kafka-start.sh) and the dev registry
# (deploy/dev-registry), one `mailflow run` instance of FIRST_JAR analysing FIRST_LOGS, stopped
# with SIGTERM, then SECOND_JAR started on the same state directory analysing SECOND_LOGS (logs
# that follow the first ones in time). The output topics, read with `mailflow consume`, must equal
# the embedded replay of both log sets together. Prints the second instance's WARN lines about
# local state it did not reuse. Run from the project root; uses ports 9092, 8081 and 9481.
# RUN_ARGS adds arguments to both `mailflow run` commands (e.g. RUN_ARGS="-D processing.guarantee=at_least_once").
# Example (a jar of an older commit against the current build):
#   deploy/local/upgrade-check.sh /tmp/old/mailflow.jar analyzer/target/mailflow.jar logs/day1 logs/day2
set -u
[ $# -eq 4 ] || { sed -n '2,/^[^#]/{/^#/p;}' "$0"; exit 2; }
first=$(readlink -f "$1"); second=$(readlink -f "$2"); logs_a=$3; logs_b=$4
work=${TMPDIR:-/tmp}/mailflow-upgrade-check
. "$(dirname "$0")/check-lib.sh"
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work/kafka" "$work/state"; }
trap cleanup EXIT
rm -rf "$work"; mkdir -p "$work/embedded"

echo "1/4 embedded replay of both log sets ..."
"$mf" replay --embedded --out "$work/embedded" "$logs_a" "$logs_b" >"$work/embedded.log" 2>&1 \
  || { echo "embedded replay failed (see $work/embedded.log)"; exit 1; }
start_broker; start_registry; await_cluster
start() { nohup java -Xmx1g -jar "$1" run -b 127.0.0.1:9092 -r "$reg" --metrics-port 9481 -D mailflow.topic.retention=infinite \
  -D application.id=upgrade-check -D state.dir="$work/state" ${RUN_ARGS:-} >"$work/run-$2.log" 2>&1 & }
running() { for i in $(seq 1 120); do [ "$(curl -s localhost:9481/health)" = RUNNING ] && return 0; sleep 1; done; return 1; }

echo "2/4 first instance ($1) on $logs_a ..."
start "$first" first; p1=$!; pids+=($p1); disown
running || { echo "first instance not RUNNING (see $work/run-first.log)"; exit 1; }
"$mf" replay -b 127.0.0.1:9092 -r "$reg" -D mailflow.topic.retention=infinite "$logs_a" >"$work/replay-first.log" 2>&1 \
  || { echo "replay failed (see $work/replay-first.log)"; exit 1; }
settle upgrade-check
kill -TERM "$p1"; while kill -0 "$p1" 2>/dev/null; do sleep 1; done

echo "3/4 second instance ($2) on the same state directory, $logs_b ..."
start "$second" second; pids+=($!); disown
running || { echo "second instance not RUNNING (see $work/run-second.log)"; exit 1; }
"$mf" replay -b 127.0.0.1:9092 -r "$reg" -D mailflow.topic.retention=infinite "$logs_b" >"$work/replay-second.log" 2>&1 \
  || { echo "replay failed (see $work/replay-second.log)"; exit 1; }
settle upgrade-check
grep -h " WARN " "$work/run-second.log" | cut -c1-200 | head -8

echo "4/4 compare"
compare_outputs upgraded
