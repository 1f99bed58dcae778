#!/usr/bin/env bash
# fault-check.sh LOGS...
#
# Faults while history is replayed into a cluster, checked end to end: a local broker
# (kafka-start.sh), the dev registry keeping its schemas on disk, two `mailflow run` instances of
# one application (standbys on), `mailflow replay` of LOGS at full speed, and from its start, every
# FAULT_GAP seconds (default 5): instance A SIGKILLed and started again on its state directory; the
# broker stopped with BROKER_SIGNAL (default KILL) and started again 8 s later; the registry
# SIGKILLed and started again 5 s later. Instance B is SIGKILLed 5 s after the replay ends. Once
# the application has committed every input record (its group's lag, `mailflow lag`)
# each output topic is read with `mailflow consume` (read_committed) and must equal the embedded
# replay of LOGS. Prints when each fault came, and when the replay ended:
# a fault after that still hits the analysis, not the replay. Run from the project root after
# `mvn -B -q package -DskipTests` and deploy/dev-registry/build.sh; uses ports 9092, 9093, 8081,
# 9481 and 9482. Exit 0 when every topic is equal. RUN_ARGS adds options to both instances, e.g.
# RUN_ARGS="-D processing.guarantee=at_least_once" to see what that guarantee gives up.
set -u
[ $# -gt 0 ] || { sed -n '2,/^[^#]/{/^#/p;}' "$0"; exit 2; }
work=${TMPDIR:-/tmp}/mailflow-fault-check
. "$(dirname "$0")/check-lib.sh"
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work/kafka" "$work"/state-* "$work/registry"; }
trap cleanup EXIT
rm -rf "$work"; mkdir -p "$work/embedded"
gap=${FAULT_GAP:-5}
say() { echo "$(date +%T) $*"; }

say "1/3 embedded replay ..."
"$mf" replay --embedded --out "$work/embedded" "$@" >"$work/embedded.log" 2>&1 \
  || { echo "embedded replay failed (see $work/embedded.log)"; exit 1; }

say "2/3 cluster: broker, registry, two instances, replay with faults ..."
start_broker; start_registry "$work/registry"; await_cluster
run() {
  nohup "$mf" run -b 127.0.0.1:9092 -r "$reg" --metrics-port "$2" -D mailflow.topic.retention=infinite \
    -D application.id=fault-check -D state.dir="$work/state-$1" -D num.standby.replicas=1 ${RUN_ARGS:-} >>"$work/run-$1.log" 2>&1 &
  pids+=($!); disown
}
run a 9481; a=$!
sleep 3
run b 9482; b=$!
for _ in $(seq 1 120); do
  [ "$(curl -s localhost:9481/health)" = RUNNING ] && [ "$(curl -s localhost:9482/health)" = RUNNING ] && break; sleep 1
done
"$mf" replay -b 127.0.0.1:9092 -r "$reg" -D mailflow.topic.retention=infinite "$@" >"$work/replay.log" 2>&1 &
replay=$!
# a subshell tells when the replay ends, between the faults below
( while kill -0 "$replay" 2>/dev/null; do sleep 0.2; done; say "   replay ended" ) &
sleep "$gap"; kill -9 "$a"; say "   instance A SIGKILLed"
sleep 5; run a 9481; a=$!; say "   instance A started again"
sleep "$gap"; kill -"${BROKER_SIGNAL:-KILL}" "$broker_pid"; say "   broker SIG${BROKER_SIGNAL:-KILL}"
while pgrep -f "$work/kafka/server.properties" >/dev/null; do sleep 0.5; done
sleep 8; start_broker; say "   broker started again"
sleep "$gap"; kill -9 "$registry_pid"; say "   registry SIGKILLed"
sleep 5; start_registry "$work/registry"; say "   registry started again"
wait "$replay" || { echo "replay into the cluster failed (see $work/replay.log)"; exit 1; }
sleep 5; kill -9 "$b"; say "   instance B SIGKILLed"
settle fault-check

say "3/3 compare"
compare_outputs cluster
