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
[ $# -eq 4 ] || { sed -n 2,12p "$0"; exit 2; }
first=$(readlink -f "$1"); second=$(readlink -f "$2"); logs_a=$3; logs_b=$4
mf=deploy/bin/mailflow
[ -x "$mf" ] || { echo "run from the project root (deploy/bin/mailflow not found)"; exit 2; }
work=${TMPDIR:-/tmp}/mailflow-upgrade-check
reg=http://127.0.0.1:8081/apis/ccompat/v7
topics="alerts ndr delays connector-stats dead-letters"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work/kafka" "$work/state"; }
trap cleanup EXIT
rm -rf "$work"; mkdir -p "$work/embedded" "$work/cluster"

echo "1/4 embedded replay of both log sets ..."
"$mf" replay --embedded --out "$work/embedded" "$logs_a" "$logs_b" >"$work/embedded.log" 2>&1 \
  || { echo "embedded replay failed (see $work/embedded.log)"; exit 1; }
MAILFLOW_KAFKA_DATA=$work/kafka nohup deploy/local/kafka-start.sh >"$work/kafka.log" 2>&1 & pids+=($!); disown
nohup deploy/dev-registry/start.sh 8081 >"$work/registry.log" 2>&1 & pids+=($!); disown
for i in $(seq 1 90); do
  (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null && curl -sf "$reg/subjects" >/dev/null && break; sleep 1
done
start() { nohup java -Xmx1g -jar "$1" run -b 127.0.0.1:9092 -r "$reg" --metrics-port 9481 -D mailflow.topic.retention=infinite \
  -D application.id=upgrade-check -D state.dir="$work/state" ${RUN_ARGS:-} >"$work/run-$2.log" 2>&1 & }
running() { for i in $(seq 1 120); do [ "$(curl -s localhost:9481/health)" = RUNNING ] && return 0; sleep 1; done; return 1; }
settle() {
  local last="" stable=0 now
  for i in $(seq 1 120); do
    sleep 10; now=""
    for t in alerts ndr delays connector-stats; do now="$now $("$mf" consume -b 127.0.0.1:9092 -r "$reg" "mailflow.$t" 2>/dev/null | wc -l)"; done
    if [ "$now" = "$last" ]; then stable=$((stable+1)); else stable=0; fi
    last=$now; [ $stable -ge 3 ] && break
  done
}

echo "2/4 first instance ($1) on $logs_a ..."
start "$first" first; p1=$!; pids+=($p1); disown
running || { echo "first instance not RUNNING (see $work/run-first.log)"; exit 1; }
"$mf" replay -b 127.0.0.1:9092 -r "$reg" -D mailflow.topic.retention=infinite "$logs_a" >"$work/replay-first.log" 2>&1 \
  || { echo "replay failed (see $work/replay-first.log)"; exit 1; }
settle
kill -TERM "$p1"; while kill -0 "$p1" 2>/dev/null; do sleep 1; done

echo "3/4 second instance ($2) on the same state directory, $logs_b ..."
start "$second" second; pids+=($!); disown
running || { echo "second instance not RUNNING (see $work/run-second.log)"; exit 1; }
"$mf" replay -b 127.0.0.1:9092 -r "$reg" -D mailflow.topic.retention=infinite "$logs_b" >"$work/replay-second.log" 2>&1 \
  || { echo "replay failed (see $work/replay-second.log)"; exit 1; }
settle
grep -h " WARN " "$work/run-second.log" | cut -c1-200 | head -8
for t in $topics; do "$mf" consume -b 127.0.0.1:9092 -r "$reg" "mailflow.$t" >"$work/cluster/mailflow.$t.jsonl" 2>/dev/null; done

echo "4/4 compare"
python3 - "$work" $topics <<'PY'
import collections, sys
work, topics = sys.argv[1], sys.argv[2:]
bad = 0
for t in topics:
    a = collections.Counter(open(f"{work}/embedded/mailflow.{t}.jsonl").read().splitlines())
    b = collections.Counter(open(f"{work}/cluster/mailflow.{t}.jsonl").read().splitlines())
    only_a, only_b = a - b, b - a
    n_a, n_b = sum(only_a.values()), sum(only_b.values())
    print(f"mailflow.{t}: {sum(a.values())} embedded, {sum(b.values())} upgraded, {n_a} only embedded, {n_b} only upgraded")
    for line in list(only_a)[:2]: print("   only embedded:", line[:300])
    for line in list(only_b)[:2]: print("   only upgraded:", line[:300])
    bad += n_a + n_b
print("equal" if bad == 0 else f"{bad} records differ (outputs in {work})")
sys.exit(0 if bad == 0 else 1)
PY
