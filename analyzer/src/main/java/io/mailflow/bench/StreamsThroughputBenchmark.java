package io.mailflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.Topology;

/**
 * Times one Kafka Streams app over the preloaded traces topic: a fresh application id and state
 * directory, the clock starting when its first stream thread is RUNNING and stopping when its committed offsets
 * reach the topic's end offsets (polled through Admin every 50 ms).
 *
 * <p>An app that is RUNNING but whose committed offsets have not moved for {@link #STALL} is
 * abandoned and started again under a new application id (at most {@link #MAX_RESTARTS} times);
 * the result notes it. We saw this now and then with the full topology on the embedded broker:
 * after the fresh app's first rebalance some partitions stop progressing (see docs/benchmarks.md).
 */
final class StreamsThroughputBenchmark {
    static final Duration STALL = Duration.ofSeconds(30);
    static final int MAX_RESTARTS = 2;

    private StreamsThroughputBenchmark() {
    }

    /** A run's result, plus the state directory's size when it finished. */
    record StreamsRun(RunResult result, long stateDirBytes) {
    }

    static StreamsRun run(final BenchCluster cluster, final String name, final Supplier<Topology> topology, final Properties base,
                          final Map<TopicPartition, Long> ends, final StateProbe probe) throws Exception {
        for (int attempt = 0; ; attempt++) {
            final StreamsRun run = attempt(cluster, attempt == 0 ? name : name + "-retry" + attempt, topology.get(), base, ends,
                probe, attempt < MAX_RESTARTS);
            if (run != null) {
                if (attempt == 0) {
                    return run;
                }
                final RunResult r = run.result();
                return new StreamsRun(new RunResult(r.records(), r.seconds(), "restarted " + attempt
                    + " time(s): the app was RUNNING but committed nothing for " + STALL.toSeconds() + " s", r.cpu()), run.stateDirBytes());
            }
            System.err.printf("   ... %s committed nothing for %d s while RUNNING; starting it again under a new application id%n",
                name, STALL.toSeconds());
        }
    }

    /** One app from start to fully committed; null when it stalled and {@code mayGiveUp}. */
    private static StreamsRun attempt(final BenchCluster cluster, final String name, final Topology topology, final Properties base,
                                      final Map<TopicPartition, Long> ends, final StateProbe probe, final boolean mayGiveUp)
        throws Exception {
        final String appId = cluster.name(name);
        final Path stateDir = Files.createTempDirectory(appId + "-state-");
        final Properties props = new Properties();
        props.putAll(base);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        final long expected = ends.values().stream().mapToLong(Long::longValue).sum();
        // generous: two minutes plus a millisecond per record (1,000 records/s at worst)
        final Duration timeout = Duration.ofMinutes(2).plusMillis(expected);
        final AtomicLong runningAt = new AtomicLong();
        final AtomicReference<CpuUse> cpuAtRunning = new AtomicReference<>();
        final AtomicReference<Map<String, Long>> threadCpuAtRunning =
            new AtomicReference<>(Map.of());
        final KafkaStreams streams = new KafkaStreams(topology, props);
        // the clock starts when the first stream thread runs: the app as a whole is RUNNING only
        // once every thread is, and a thread that joins late (a second rebalance) left the others
        // processing for seconds before it (a 2 M-record run timed at 4.1 s instead of about 7)
        final Runnable startClock = () -> {
            if (runningAt.compareAndSet(0, System.nanoTime())) {
                cpuAtRunning.set(CpuUse.now(appId));
                threadCpuAtRunning.set(CpuUse.byStreamThread(appId));
            }
        };
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                startClock.run();
            }
        });
        final long startedAt = System.nanoTime();
        try {
            streams.start();
            final long deadline = System.nanoTime() + timeout.toNanos();
            long lag = expected;
            long lagMovedAt = System.nanoTime();
            // when each input partition was last committed in full: a stream thread whose tasks
            // finish late shows as its partitions' late times (the run ends with the slowest)
            final Map<Integer, Long> doneAt = new TreeMap<>();
            long nextReport = System.nanoTime() + 10_000_000_000L;
            while (lag > 0) {
                final long now = System.nanoTime();
                if (now > nextReport) {
                    nextReport += 10_000_000_000L;
                    System.err.printf("   ... %s: %,d of %,d records still to commit (%s, %d active tasks, %,.0f consumed, lag by partition %s)%n",
                        name, lag, expected, streams.state(), activeTasks(streams), consumed(streams),
                        cluster.lagByPartition(appId, ends));
                }
                if (now > deadline) {
                    throw new IllegalStateException(name + " did not consume all " + expected + " records in " + timeout + " (lag " + lag + ")");
                }
                if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                    throw new IllegalStateException(name + " stopped in state " + streams.state() + " with lag " + lag);
                }
                if (mayGiveUp && runningAt.get() != 0 && now - Math.max(lagMovedAt, runningAt.get()) > STALL.toNanos()
                    && streams.state() == KafkaStreams.State.RUNNING) {
                    return null;
                }
                if (runningAt.get() == 0) {
                    Thread.sleep(5);
                    if (anyThreadRunning(streams)) {
                        startClock.run();
                    }
                    continue;
                }
                Thread.sleep(50);
                final Map<Integer, Long> byPartition = cluster.lagByPartition(appId, ends);
                final long sampled = System.nanoTime();
                byPartition.forEach((p, l) -> {
                    if (l <= 0) {
                        doneAt.putIfAbsent(p, sampled);
                    }
                });
                final long newLag = BenchCluster.total(byPartition);
                if (newLag != lag) {
                    lagMovedAt = System.nanoTime();
                }
                lag = newLag;
            }
            final long done = System.nanoTime();
            final CpuUse cpu = cpuAtRunning.get() == null ? null : CpuUse.now(appId).since(cpuAtRunning.get());
            final double seconds = (done - (runningAt.get() == 0 ? startedAt : runningAt.get())) / 1e9;
            printRecordsWritten(name, streams, expected);
            printBalance(name, streams, ends, doneAt, runningAt.get() == 0 ? startedAt : runningAt.get(), threadCpuAtRunning.get(),
                CpuUse.byStreamThread(appId));
            if (probe != null) {
                probe.measure(streams, stateDir);
            }
            return new StreamsRun(new RunResult(expected, seconds, null, cpu), ProcessMemory.directoryBytes(stateDir));
        } finally {
            streams.close(Duration.ofSeconds(60));
            streams.cleanUp();
            ProcessMemory.deleteRecursively(stateDir);
        }
    }

    private static boolean anyThreadRunning(final KafkaStreams streams) {
        try {
            return streams.metadataForLocalThreads().stream().anyMatch(t -> "RUNNING".equals(t.threadState()));
        } catch (final RuntimeException notStartedYet) {
            return false;
        }
    }

    private static int activeTasks(final KafkaStreams streams) {
        return streams.metadataForLocalThreads().stream().mapToInt(t -> t.activeTasks().size()).sum();
    }

    /**
     * What the app wrote per input record, by topic (changelogs, repartitions, outputs): the
     * producer's own record-send-total, so every change to the topology shows what it costs.
     */
    private static void printRecordsWritten(final String name, final KafkaStreams streams, final long inputRecords) {
        final Map<String, Double> byTopic = new TreeMap<>();
        streams.metrics().forEach((id, metric) -> {
            if (id.name().equals("record-send-total") && id.group().equals("producer-topic-metrics")
                && metric.metricValue() instanceof Number n) {
                byTopic.merge(id.tags().get("topic"), n.doubleValue(), Double::sum);
            }
        });
        final double total = byTopic.values().stream().mapToDouble(Double::doubleValue).sum();
        System.err.printf("   %s wrote %,.0f records (%.2f per input record):%n", name, total, total / inputRecords);
        byTopic.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
            .forEach(e -> System.err.printf("     %-60s %,12.0f  %.3f%n", e.getKey(), e.getValue(), e.getValue() / inputRecords));
    }

    /**
     * How evenly the stream threads shared the run: each thread's input partitions, the time their
     * last offsets were committed and the CPU the thread used since the clock started. The run lasts as long
     * as its slowest thread.
     */
    private static void printBalance(final String name, final KafkaStreams streams, final Map<TopicPartition, Long> ends,
                                     final Map<Integer, Long> doneAt, final long startNanos, final Map<String, Long> cpuAtStart,
                                     final Map<String, Long> cpuAtEnd) {
        final StringBuilder line = new StringBuilder();
        streams.metadataForLocalThreads().stream().sorted(Comparator.comparing(ThreadMetadata::threadName)).forEach(thread -> {
            final SortedSet<Integer> inputs = new TreeSet<>();
            final SortedSet<String> tasks = new TreeSet<>();
            thread.activeTasks().forEach(task -> {
                tasks.add(task.taskId().toString());
                task.topicPartitions().stream().filter(ends::containsKey).forEach(tp -> inputs.add(tp.partition()));
            });
            final String done = inputs.stream().map(p -> doneAt.containsKey(p)
                ? String.format(Locale.ROOT, "%d at %.2f s", p, (doneAt.get(p) - startNanos) / 1e9) : p + " at ?")
                .collect(Collectors.joining(", "));
            final Long end = cpuAtEnd.get(thread.threadName());
            final String cpu = end == null ? "?" : String.format(Locale.ROOT, "%.2f s", (end - cpuAtStart.getOrDefault(thread.threadName(), 0L)) / 1e9);
            line.append(String.format(Locale.ROOT, "%n     %s: tasks %s, CPU %s, input partitions done: %s",
                thread.threadName().replaceFirst(".*-(StreamThread-\\d+)$", "$1"), String.join(" ", tasks), cpu, done));
        });
        System.err.printf("   %s's stream threads (times from the clock's start):%s%n", name, line);
    }

    /**
     * Records the stream threads' main consumers have returned from poll (the input and the
     * repartition topics): the client-level figure only, as the per-topic ones repeat it.
     */
    private static double consumed(final KafkaStreams streams) {
        return streams.metrics().entrySet().stream()
            .filter(e -> e.getKey().name().equals("records-consumed-total")
                && e.getKey().group().equals("consumer-fetch-manager-metrics")
                && !e.getKey().tags().containsKey("topic")
                && !e.getKey().tags().getOrDefault("client-id", "").endsWith("-restore-consumer"))
            .mapToDouble(e -> e.getValue().metricValue() instanceof Number n ? n.doubleValue() : 0).sum();
    }

    /** Something to measure while the finished app still holds its state (section 5). */
    @FunctionalInterface
    interface StateProbe {
        void measure(KafkaStreams streams, Path stateDir) throws Exception;
    }
}
