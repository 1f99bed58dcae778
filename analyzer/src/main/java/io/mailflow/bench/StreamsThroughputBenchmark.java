package io.mailflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;

/**
 * Times one Kafka Streams app over the preloaded traces topic: a fresh application id and state
 * directory, the clock starting when the app is RUNNING and stopping when its committed offsets
 * reach the topic's end offsets (polled through Admin every 50 ms).
 */
final class StreamsThroughputBenchmark {
    private static final Duration TIMEOUT = Duration.ofMinutes(30);

    private StreamsThroughputBenchmark() {
    }

    /** A run's result, plus the state directory's size when it finished. */
    record StreamsRun(RunResult result, long stateDirBytes) {
    }

    static StreamsRun run(final BenchCluster cluster, final String name, final Topology topology, final Properties base,
                          final Map<TopicPartition, Long> ends, final StateProbe probe) throws Exception {
        final String appId = cluster.name(name);
        final Path stateDir = Files.createTempDirectory(appId + "-state-");
        final Properties props = new Properties();
        props.putAll(base);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // Commit often under both guarantees, so "committed" tracks "processed" closely (at-least-once
        // would otherwise commit every 30 s and the clock would measure the commit interval).
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        final long expected = ends.values().stream().mapToLong(Long::longValue).sum();
        final AtomicLong runningAt = new AtomicLong();
        final KafkaStreams streams = new KafkaStreams(topology, props);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                runningAt.compareAndSet(0, System.nanoTime());
            }
        });
        final long startedAt = System.nanoTime();
        try {
            streams.start();
            final long deadline = System.nanoTime() + TIMEOUT.toNanos();
            long lag = expected;
            while (lag > 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + " did not consume all " + expected + " records in " + TIMEOUT + " (lag " + lag + ")");
                }
                if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
                    throw new IllegalStateException(name + " stopped in state " + streams.state() + " with lag " + lag);
                }
                Thread.sleep(50);
                lag = cluster.lag(appId, ends);
            }
            final long done = System.nanoTime();
            final double seconds = (done - (runningAt.get() == 0 ? startedAt : runningAt.get())) / 1e9;
            if (probe != null) {
                probe.measure(streams, stateDir);
            }
            return new StreamsRun(new RunResult(expected, seconds, null), ProcessMemory.directoryBytes(stateDir));
        } finally {
            streams.close(Duration.ofSeconds(60));
            streams.cleanUp();
            ProcessMemory.deleteRecursively(stateDir);
        }
    }

    /** Something to measure while the finished app still holds its state (section 5). */
    @FunctionalInterface
    interface StateProbe {
        void measure(KafkaStreams streams, Path stateDir) throws Exception;
    }
}
