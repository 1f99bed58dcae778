package io.mailflow.app;

import io.mailflow.config.MailflowConfig;
import io.mailflow.config.DetectionConfig;
import io.mailflow.emit.DeadLetters;
import io.mailflow.emit.SchemaRegistration;
import io.mailflow.emit.Topics;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running mailflow Streams application: topology, KafkaStreams client, its metrics, and the
 * policy for errors nobody anticipated. Records that cannot be read are dead-lettered by the
 * exception handlers; what reaches the uncaught handler is an infrastructure fault (the thread is
 * replaced after a backoff, for as long as the fault lasts) or a bug (replaced a few times, state
 * restored from the changelog, then the client shuts down rather than spinning).
 */
public final class Analyzer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Analyzer.class);

    private final Topology topology;
    private final Properties properties;
    private final KafkaStreams streams;
    private final KafkaStreamsMetrics metrics;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ThreadReplacementPolicy replacements = new ThreadReplacementPolicy();

    /**
     * The analyzer for {@code config}, with every value schema it writes registered first
     * ({@link SchemaRegistration}): a registry that is not available yet is waited for, with a
     * warning per attempt, as long as it takes (interrupt or stop the process to give up).
     */
    public Analyzer(final MailflowConfig config) throws InterruptedException {
        this(registered(config), StreamsSettings.streamsProperties(config));
    }

    private static Topology registered(final MailflowConfig config) throws InterruptedException {
        final Topology topology = topologyFor(config);
        SchemaRegistration.registerAll(new Topics(config).serdeConfig(), MailflowTopology.valueSubjects(config), null);
        return topology;
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
        this.topology = topology;
        this.properties = props;
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
     * So is a task whose window stores were written in segments of another length ({@link WindowSegments}).
     */
    private static KafkaStreams open(final Topology topology, final Properties props) {
        final StreamsConfig streamsConfig = new StreamsConfig(props);
        final java.nio.file.Path appDir = java.nio.file.Path.of(streamsConfig.getString(StreamsConfig.STATE_DIR_CONFIG),
            streamsConfig.getString(StreamsConfig.APPLICATION_ID_CONFIG)).toAbsolutePath();
        WindowSegments.deleteTasksWithOtherLayout(appDir);
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
     * {@code run}'s start: the traces topic's partition count (unless set) and an existing
     * connector stage's ({@link #withConnectorPartitions}), looked up with one admin client.
     */
    static MailflowConfig withBrokerCounts(final MailflowConfig config) {
        try (Admin admin = lookupAdmin(config)) {
            return withConnectorPartitions(withSourcePartitions(config, admin), admin);
        }
    }

    /**
     * The connector-keyed stages wait for the heartbeats of every traces partition, so they must
     * know how many there are, including those that have not reported yet (a killed instance's):
     * unless set, the count is looked up on the broker.
     */
    static MailflowConfig withSourcePartitions(final MailflowConfig config) {
        if (sourcePartitionsSet(config)) {
            return config;
        }
        try (Admin admin = lookupAdmin(config)) {
            return withSourcePartitions(config, admin);
        }
    }

    private static MailflowConfig withSourcePartitions(final MailflowConfig config, final Admin admin) {
        if (sourcePartitionsSet(config)) {
            return config;
        }
        final String traces = config.require("mailflow.topic.traces");
        final int partitions = partitions(admin, traces, config);
        if (partitions < 0) {
            throw new IllegalStateException("Cannot look up the partitions of " + traces + " on " + config.get("bootstrap.servers")
                + ": the topic does not exist");
        }
        LOG.debug("{} has {} partitions", traces, partitions);
        return config.with(DetectionConfig.PREFIX + "source-partitions", Integer.toString(partitions));
    }

    private static boolean sourcePartitionsSet(final MailflowConfig config) {
        final String set = config.get(DetectionConfig.PREFIX + "source-partitions");
        return set != null && !set.isBlank() && Integer.parseInt(set.trim()) > 0;
    }

    /**
     * The connector stage's partition count of an application that exists already: its
     * repartition topics, and so its tasks' changelogs and state, were created with a count, and
     * Kafka Streams refuses to start with another. An application created before that count was
     * a setting of its own (it was the traces topic's) keeps its count, with one INFO line; a count
     * set explicitly that differs from the topics' is an error that says what to do.
     */
    static MailflowConfig withConnectorPartitions(final MailflowConfig config, final Admin admin) {
        final String key = DetectionConfig.PREFIX + "connector-partitions";
        final String app = config.require(StreamsConfig.APPLICATION_ID_CONFIG);
        final Map<String, Integer> existing = new TreeMap<>();
        for (final String topic : MailflowTopology.connectorStageTopics(app)) {
            final int partitions = partitions(admin, topic, config);
            if (partitions >= 0) {
                existing.put(topic, partitions);
            }
        }
        final int configured = DetectionConfig.from(config).connectorPartitions();
        if (existing.values().stream().allMatch(n -> n == configured)) {
            return config; // a new application, or one created with this count
        }
        final int kept = existing.values().iterator().next();
        final boolean setExplicitly = config.sourceOf(key) != null && config.sourceOf(key) != MailflowConfig.Source.DEFAULT;
        final String reset = "reset the application (docs/deploy.md, \"Resetting the application\") to start with " + configured;
        if (existing.values().stream().anyMatch(n -> n != kept)) {
            throw new MailflowConfig.ConfigException("Application " + app + " has its connector stage in topics of different"
                + " partition counts " + existing + ", which Kafka Streams cannot run: " + reset);
        }
        if (setExplicitly) {
            throw new MailflowConfig.ConfigException("Setting '" + key + "' is " + configured + ", but application " + app
                + " has its connector stage in " + kept + " partitions (" + String.join(", ", existing.keySet()) + "): set it to "
                + kept + " to keep the application's connector state, or " + reset);
        }
        LOG.info("Application {} keeps the {} partitions of its connector stage (its topics were created with them); {} takes"
            + " effect after a reset", app, kept, key);
        return config.with(key, Integer.toString(kept));
    }

    private static Admin lookupAdmin(final MailflowConfig config) {
        final Map<String, Object> props = new HashMap<>(config.kafkaProperties());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(props);
    }

    /** The topic's partition count on the broker, or -1 when it does not exist. */
    private static int partitions(final Admin admin, final String topic, final MailflowConfig config) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while looking up " + topic, e);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return -1;
            }
            throw new IllegalStateException("Cannot look up the partitions of " + topic + " on " + config.get("bootstrap.servers")
                + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("Cannot look up the partitions of " + topic + " on " + config.get("bootstrap.servers")
                + ": no answer in 30 s", e);
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

    /** The topology this app runs (named after the application id once the client is created). */
    Topology topology() {
        return topology;
    }

    /** The Kafka Streams properties this app was created with. */
    Properties properties() {
        return properties;
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

    private StreamThreadExceptionResponse onUncaught(final Throwable error) {
        final ThreadReplacementPolicy.Decision d = replacements.decide(error, System.currentTimeMillis());
        Metrics.counter("mailflow.stream.thread.restarts", "cause", d.infrastructure() ? "infrastructure" : "error").increment();
        if (d.infrastructure()) {
            LOG.warn("A stream thread stopped on a fault of the schema registry or the broker, not of a record ({}); "
                + "replacing it in {} s, the record is processed again then", DeadLetters.reasonOf(error), d.delay().toSeconds());
            try {
                Thread.sleep(d.delay().toMillis()); // on the failed thread: delays its replacement only
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } else if (d.response() == StreamThreadExceptionResponse.REPLACE_THREAD) {
            LOG.error("Stream thread failed; replacing it ({})", d.fault(), error);
        } else {
            LOG.error("Stream threads keep failing; shutting this instance down", error);
        }
        return d.response();
    }

    /**
     * What /health shows: the Streams state; that no client has a connection to the cluster (the
     * clients retry while the brokers are away, and Streams stays RUNNING or REBALANCING); and the
     * last fault that stopped a stream thread within 10 minutes.
     */
    public String health() {
        final StringBuilder health = new StringBuilder(streams.state().name());
        // A consumer notices a closed connection only when its thread polls it, and a stream thread
        // blocked on the broker (a commit, a full send buffer) does not poll: its count can stay at
        // 1 all the while. A producer's I/O thread runs on its own and notices at once.
        if (streams.state().isRunningOrRebalancing() && (connections("consumer-metrics") == 0 || connections("producer-metrics") == 0)) {
            health.append(" (no connection to the Kafka cluster; retrying)");
        }
        final String fault = replacements.recentFault(System.currentTimeMillis());
        if (fault != null) {
            health.append(" (").append(fault).append(')');
        }
        return health.toString();
    }

    /**
     * Open broker connections of all the app's clients of one kind ({@code consumer-metrics},
     * {@code producer-metrics}); -1 when the metric is not there yet.
     */
    private double connections(final String group) {
        double sum = 0;
        boolean found = false;
        for (final Map.Entry<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> m : streams.metrics().entrySet()) {
            if (m.getKey().name().equals("connection-count") && m.getKey().group().equals(group)
                && m.getValue().metricValue() instanceof Number n) {
                sum += n.doubleValue();
                found = true;
            }
        }
        return found ? sum : -1;
    }

    /** Whether an instance of {@code properties} joins its group with a {@code group.instance.id} (static membership). */
    static boolean staticMember(final Properties properties) {
        for (final String key : List.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG),
            StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG))) {
            final Object id = properties.get(key);
            if (id != null && !id.toString().isBlank()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    public void close(final Duration timeout) {
        // A dynamic member leaves its group as it stops, so the other instances take its partitions
        // now rather than after session.timeout.ms (45 s). A static member (group.instance.id, the
        // pod's name in Kubernetes) stays: a rolling restart within the session timeout moves nothing.
        streams.close(CloseOptions.groupMembershipOperation(staticMember(properties)
            ? CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP : CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(timeout));
        metrics.close();
        stopped.countDown();
    }
}
