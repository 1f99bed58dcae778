package io.mailflow.app;

import io.mailflow.detect.DetectionConfig;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running mailflow Streams application: topology, KafkaStreams client, its metrics, and the
 * policy for errors nobody anticipated. Records that fail are dead-lettered by the exception
 * handlers; what reaches the uncaught handler is a bug or an infrastructure failure, so a stream
 * thread is replaced a few times (state is restored from the changelog) before the client shuts
 * down rather than spinning.
 */
public final class Analyzer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Analyzer.class);
    static final int MAX_THREAD_REPLACEMENTS = 3;
    static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(10);

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics metrics;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Deque<Long> recentFailures = new ArrayDeque<>();

    public Analyzer(final MailflowConfig config) {
        this(topologyFor(config), StreamsSettings.streamsProperties(config));
    }

    /**
     * The topology as it runs against the cluster {@code config} names: with the traces topic's
     * partition count looked up there (see {@link #withSourcePartitions}). Everything that runs the
     * topology on a broker builds it here; {@link MailflowTopology#build} alone is for the
     * TopologyTestDriver and {@code mailflow topology}.
     */
    public static Topology topologyFor(final MailflowConfig config) {
        return MailflowTopology.build(withSourcePartitions(config));
    }

    public Analyzer(final Topology topology, final Properties props) {
        this.streams = open(topology, props);
        this.streams.setUncaughtExceptionHandler(this::onUncaught);
        this.streams.setStateListener((newState, oldState) -> {
            LOG.info("Streams state {} -> {}", oldState, newState);
            if (newState == KafkaStreams.State.NOT_RUNNING || newState == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
        // bound in start(): meters registered now would be on the global registry before `run`
        // adds its Prometheus registry, and Micrometer warns "already has registered Meters"
        this.metrics = new KafkaStreamsMetrics(streams);
    }

    /**
     * A SIGKILL can leave a RocksDB store half created (a segment directory without its
     * MANIFEST; seen once in QueueExactlyOnceIT), and Kafka Streams then fails in its constructor
     * with "Error opening store ... at location DIR", before any thread runs: the instance could not
     * start again without someone deleting files. Every store has a changelog, so a task's local
     * state is only a cache: that one task directory is deleted and Kafka Streams restores it from
     * the changelog. Nothing else is touched (another instance's lock, for example, fails differently).
     */
    private static KafkaStreams open(final Topology topology, final Properties props) {
        final StreamsConfig streamsConfig = new StreamsConfig(props);
        final java.nio.file.Path appDir = java.nio.file.Path.of(streamsConfig.getString(StreamsConfig.STATE_DIR_CONFIG),
            streamsConfig.getString(StreamsConfig.APPLICATION_ID_CONFIG)).toAbsolutePath();
        for (int attempt = 0; ; attempt++) {
            try {
                return new KafkaStreams(topology, props, new LagReportingClientSupplier());
            } catch (final ProcessorStateException e) {
                final java.nio.file.Path taskDir = unopenableTaskDir(e, appDir);
                if (taskDir == null || attempt >= 10) {
                    throw e;
                }
                LOG.warn("The local state of task {} cannot be opened ({}); deleting it: Kafka Streams restores it from the changelog",
                    taskDir.getFileName(), e.getMessage());
                EmbeddedKafka.deleteRecursively(taskDir);
            }
        }
    }

    /** The task directory (directly under the app's state directory) of a store RocksDB could not open, or null. */
    static java.nio.file.Path unopenableTaskDir(final ProcessorStateException e, final java.nio.file.Path appDir) {
        final String message = e.getMessage();
        final String marker = " at location ";
        if (message == null || !message.startsWith("Error opening store") || !(e.getCause() instanceof org.rocksdb.RocksDBException)
            || !message.contains(marker)) {
            return null;
        }
        java.nio.file.Path p = java.nio.file.Path.of(message.substring(message.indexOf(marker) + marker.length()).trim()).toAbsolutePath();
        while (p != null && p.getParent() != null && !p.getParent().equals(appDir)) {
            p = p.getParent();
        }
        return p == null || p.getParent() == null ? null : p;
    }

    /**
     * The connector-keyed stages wait for the heartbeats of every traces partition, so they must
     * know how many there are, including those that have not reported yet (a killed instance's):
     * unless set, the count is looked up on the broker.
     */
    static MailflowConfig withSourcePartitions(final MailflowConfig config) {
        final String key = DetectionConfig.PREFIX + "source-partitions";
        final String set = config.get(key);
        if (set != null && !set.isBlank() && Integer.parseInt(set.trim()) > 0) {
            return config;
        }
        final String traces = config.require("mailflow.topic.traces");
        final Map<String, Object> props = new HashMap<>(config.kafkaProperties());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(props)) {
            final int partitions = admin.describeTopics(List.of(traces)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(traces).partitions().size();
            LOG.debug("{} has {} partitions", traces, partitions);
            return config.with(key, Integer.toString(partitions));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while looking up " + traces, e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot look up the partitions of " + traces + " on " + config.get("bootstrap.servers")
                + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    /**
     * Binds the Kafka Streams metrics to Micrometer's global registry and starts the app. Add
     * registries (the Prometheus endpoint) to the global one before: Micrometer warns when a
     * registry joins a composite that already has meters, since their earlier counts are lost to it.
     */
    public void start() {
        metrics.bindTo(Metrics.globalRegistry);
        streams.start();
    }

    /** Waits until the app is RUNNING; false on timeout or when it failed. */
    public boolean awaitRunning(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            final KafkaStreams.State state = streams.state();
            if (state == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
                return false;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Blocks until the app stops (shutdown or fatal error). */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    public boolean awaitStopped(final Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public KafkaStreams streams() {
        return streams;
    }

    private synchronized StreamThreadExceptionResponse onUncaught(final Throwable error) {
        final long now = System.currentTimeMillis();
        recentFailures.addLast(now);
        while (!recentFailures.isEmpty() && recentFailures.peekFirst() < now - REPLACEMENT_WINDOW.toMillis()) {
            recentFailures.removeFirst();
        }
        if (recentFailures.size() <= MAX_THREAD_REPLACEMENTS) {
            LOG.error("Stream thread failed ({} of {} replacements in {}); replacing it", recentFailures.size(),
                MAX_THREAD_REPLACEMENTS, Durations.humanize(REPLACEMENT_WINDOW), error);
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        LOG.error("Stream threads keep failing; shutting this instance down", error);
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    public void close(final Duration timeout) {
        streams.close(timeout);
        metrics.close();
        stopped.countDown();
    }
}
