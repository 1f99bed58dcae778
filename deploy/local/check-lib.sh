# Sourced by upgrade-check.sh and fault-check.sh (run from the project root, $work set): a local
# broker (kafka-start.sh) and the dev registry, waiting until the analyzer has caught up, and
# the output topics read with `mailflow consume` and compared with the embedded replay's files.
mf=deploy/bin/mailflow
[ -x "$mf" ] || { echo "run from the project root (deploy/bin/mailflow not found)"; exit 2; }
reg=http://127.0.0.1:8081/apis/ccompat/v7
topics="alerts ndr delays connector-stats dead-letters"
pids=()

# the broker's data in $work/kafka; its pid (kafka-start.sh execs the JVM) in $broker_pid
start_broker() {
  MAILFLOW_KAFKA_DATA=$work/kafka nohup deploy/local/kafka-start.sh >>"$work/kafka.log" 2>&1 &
  broker_pid=$!; pids+=("$broker_pid"); disown
}

# the dev registry on 8081, its pid in $registry_pid; with $1 = a directory its schemas survive a restart
start_registry() {
  MAILFLOW_REGISTRY_DATA=${1:-} nohup deploy/dev-registry/start.sh 8081 >>"$work/registry.log" 2>&1 &
  registry_pid=$!; pids+=("$registry_pid"); disown
}

await_cluster() {
  for _ in $(seq 1 120); do
    (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null && curl -sf "$reg/subjects" >/dev/null && return 0; sleep 1
  done
  echo "the broker or the registry did not come up (see $work/kafka.log, $work/registry.log)"; exit 1
}

# returns once application $1 has committed every record of its input partitions (`mailflow lag`)
# and the output topics are the same in two polls 10 s apart; a dead instance's partitions wait
# for its session timeout, so output that merely stopped growing does not count
settle() {
  local last="" now lag deadline=$((SECONDS + 1800))
  while [ $SECONDS -lt $deadline ]; do
    sleep 10
    lag=$("$mf" lag -b 127.0.0.1:9092 --application-id "$1" --total 2>/dev/null || true)
    now=""
    for t in alerts ndr delays connector-stats; do now="$now $("$mf" consume -b 127.0.0.1:9092 -r "$reg" "mailflow.$t" 2>/dev/null | wc -l)"; done
    [ "$lag" = 0 ] && [ "$now" = "$last" ] && return 0
    last=$now
  done
  echo "application $1 did not catch up within 30 minutes (input records not committed: ${lag:-unknown})"
}

# every output topic (read_committed) into $work/cluster, compared as multisets of JSON lines with
# $work/embedded; $1 names the cluster's side. Exit status 0 when every topic is equal.
compare_outputs() {
  mkdir -p "$work/cluster"
  for t in $topics; do "$mf" consume -b 127.0.0.1:9092 -r "$reg" "mailflow.$t" >"$work/cluster/mailflow.$t.jsonl" 2>/dev/null; done
  python3 - "$work" "$1" $topics <<'PY'
import collections, sys
work, side, topics = sys.argv[1], sys.argv[2], sys.argv[3:]
bad = 0
for t in topics:
    a = collections.Counter(open(f"{work}/embedded/mailflow.{t}.jsonl").read().splitlines())
    b = collections.Counter(open(f"{work}/cluster/mailflow.{t}.jsonl").read().splitlines())
    only_a, only_b = a - b, b - a
    n_a, n_b = sum(only_a.values()), sum(only_b.values())
    print(f"mailflow.{t}: {sum(a.values())} embedded, {sum(b.values())} {side}, {n_a} only embedded, {n_b} only {side}")
    for line in list(only_a)[:2]: print("   only embedded:", line[:300])
    for line in list(only_b)[:2]: print(f"   only {side}:", line[:300])
    bad += n_a + n_b
print("equal" if bad == 0 else f"{bad} records differ (outputs in {work})")
sys.exit(0 if bad == 0 else 1)
PY
}
