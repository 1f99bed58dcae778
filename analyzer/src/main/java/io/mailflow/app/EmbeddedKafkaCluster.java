package io.mailflow.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replicated Kafka cluster inside this JVM, for tests of what replication guarantees: brokers
 * ({@code process.roles=broker}) and a separate controller quorum ({@code process.roles=controller}),
 * each node a {@link KafkaRaftServer} of its own with its own log directory and loopback port,
 * every node formatted with one cluster id and a static voter set ({@code controller.quorum.voters}).
 * Replication by default as production runs it: {@code default.replication.factor=3},
 * {@code min.insync.replicas=2}, and the same for the offsets, transaction-state and
 * share-state topics. A broker can be stopped ({@link #stopBroker}, a controlled shutdown: its
 * leaderships move first) and started again ({@link #startBroker}) on the same port and log
 * directory; it then catches up from the leaders ({@link #awaitFullyReplicated}).
 *
 * <p>Settings shared with the single-node {@link EmbeddedKafka} come from
 * {@link EmbeddedKafka#commonProperties}; so does formatting.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    /** Node ids: brokers 1..n, controllers 1001..; apart, so a log line says which kind it is. */
    private static final int CONTROLLER_ID_BASE = 1000;

    private final Path dataDir;
    private final boolean deleteOnClose;
    private final List<Properties> brokerConfigs;
    private final int[] brokerPorts;
    private final List<KafkaRaftServer> controllers;
    private final KafkaRaftServer[] brokers;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedKafkaCluster(final Path dataDir, final boolean deleteOnClose, final List<Properties> brokerConfigs,
                                 final int[] brokerPorts, final List<KafkaRaftServer> controllers, final KafkaRaftServer[] brokers) {
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.brokerConfigs = brokerConfigs;
        this.brokerPorts = brokerPorts;
        this.controllers = controllers;
        this.brokers = brokers;
    }

    /** Three brokers and one controller on free ports, in a temporary directory deleted on close. */
    public static EmbeddedKafkaCluster start() {
        return start(3, 1, null, Map.of());
    }

    /**
     * Starts a cluster: the controllers first, then the brokers in parallel.
     *
     * @param brokerCount     brokers (replication factors are at most this, at most 3)
     * @param controllerCount controller-only nodes of the quorum (1 or 3)
     * @param dataDir         the nodes' directories (kept on close), or null for a temporary one (deleted on close)
     * @param overrides       extra properties for every node
     */
    public static EmbeddedKafkaCluster start(final int brokerCount, final int controllerCount, final Path dataDir,
                                             final Map<String, String> overrides) {
        if (brokerCount < 1 || controllerCount < 1) {
            throw new IllegalArgumentException("a cluster needs a broker and a controller");
        }
        final long t0 = System.nanoTime();
        final boolean temporary = dataDir == null;
        final List<KafkaRaftServer> controllers = new ArrayList<>();
        final KafkaRaftServer[] brokers = new KafkaRaftServer[brokerCount];
        try {
            final Path dir = temporary ? Files.createTempDirectory("mailflow-kafka-cluster-") : Files.createDirectories(dataDir);
            final int[] ports = EmbeddedKafka.freePorts(brokerCount + controllerCount);
            final List<String> voters = new ArrayList<>();
            for (int c = 0; c < controllerCount; c++) {
                voters.add((CONTROLLER_ID_BASE + c + 1) + "@127.0.0.1:" + ports[brokerCount + c]);
            }
            final String quorum = String.join(",", voters);
            final short replication = (short) Math.min(3, brokerCount);
            // a directory formatted before keeps its cluster id (the first controller's)
            final String clusterId = EmbeddedKafka.clusterId(nodeDir(dir, CONTROLLER_ID_BASE + 1));

            final List<Properties> controllerConfigs = new ArrayList<>();
            for (int c = 0; c < controllerCount; c++) {
                final int id = CONTROLLER_ID_BASE + c + 1;
                final Properties p = nodeProperties(nodeDir(dir, id), id, quorum, replication);
                p.setProperty("process.roles", "controller");
                p.setProperty("listeners", "CONTROLLER://127.0.0.1:" + ports[brokerCount + c]);
                overrides.forEach(p::setProperty);
                controllerConfigs.add(p);
            }
            final List<Properties> brokerConfigs = new ArrayList<>();
            final int[] brokerPorts = new int[brokerCount];
            for (int b = 0; b < brokerCount; b++) {
                brokerPorts[b] = ports[b];
                final Properties p = nodeProperties(nodeDir(dir, b + 1), b + 1, quorum, replication);
                p.setProperty("process.roles", "broker");
                p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + ports[b]);
                p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + ports[b]);
                p.setProperty("inter.broker.listener.name", "PLAINTEXT");
                // controller settings: Kafka 4.x warns when a broker has them (ignored there in 5.0)
                p.remove("num.partitions");
                p.remove("default.replication.factor");
                overrides.forEach(p::setProperty);
                brokerConfigs.add(p);
            }
            final List<Properties> all = new ArrayList<>(controllerConfigs);
            all.addAll(brokerConfigs);
            for (final Properties p : all) {
                EmbeddedKafka.format(Files.createDirectories(Path.of(p.getProperty("log.dirs")).getParent()), p, clusterId);
            }
            final long formatted = System.nanoTime();
            // a quorum of three elects once two are up: started together, not one after the other
            controllers.addAll(startAll(controllerConfigs));
            final List<KafkaRaftServer> started = startAll(brokerConfigs);
            for (int b = 0; b < brokerCount; b++) {
                brokers[b] = started.get(b);
            }
            final EmbeddedKafkaCluster cluster = new EmbeddedKafkaCluster(dir, temporary, brokerConfigs, brokerPorts, controllers, brokers);
            EmbeddedKafka.awaitBrokers(cluster.bootstrapServers(), brokerCount, READY_TIMEOUT);
            LOG.info("Embedded Kafka cluster of {} brokers and {} controllers ready on {} in {} ms (format {} ms)", brokerCount,
                controllerCount, cluster.bootstrapServers(), Duration.ofNanos(System.nanoTime() - t0).toMillis(),
                Duration.ofNanos(formatted - t0).toMillis());
            return cluster;
        } catch (final IOException e) {
            shutdownAll(controllers, brokers);
            throw new UncheckedIOException("Cannot start the embedded Kafka cluster", e);
        } catch (final RuntimeException e) {
            shutdownAll(controllers, brokers);
            throw e;
        }
    }

    private static Path nodeDir(final Path dir, final int nodeId) {
        return dir.resolve("node-" + nodeId);
    }

    private static Properties nodeProperties(final Path nodeDir, final int nodeId, final String quorum, final short replication) {
        final Properties p = new Properties();
        p.setProperty("node.id", Integer.toString(nodeId));
        p.setProperty("controller.quorum.voters", quorum);
        p.setProperty("log.dirs", nodeDir.resolve("log").toString());
        EmbeddedKafka.commonProperties(p);
        // The controllers decide the replicas of a topic created without a factor, and the
        // cluster's min.insync.replicas: every node gets the same.
        final String rf = Short.toString(replication);
        final String minIsr = Integer.toString(Math.max(1, replication - 1));
        p.setProperty("default.replication.factor", rf);
        p.setProperty("min.insync.replicas", minIsr);
        p.setProperty("offsets.topic.replication.factor", rf);
        p.setProperty("transaction.state.log.replication.factor", rf);
        p.setProperty("transaction.state.log.min.isr", minIsr);
        p.setProperty("share.coordinator.state.topic.replication.factor", rf);
        p.setProperty("share.coordinator.state.topic.min.isr", minIsr);
        // Several nodes in one JVM register the same metric names, and JMX refuses the second with
        // a stack trace per metric; the tests read no broker metrics.
        p.setProperty("metrics.jmx.exclude", ".*");
        return p;
    }

    /** Starts a server per config in parallel (a broker's startup blocks until the controllers know it). */
    private static List<KafkaRaftServer> startAll(final List<Properties> configs) {
        final List<CompletableFuture<KafkaRaftServer>> futures = configs.stream()
            .map(p -> CompletableFuture.supplyAsync(() -> startServer(p))).toList();
        final List<KafkaRaftServer> servers = new ArrayList<>();
        RuntimeException failure = null;
        for (final CompletableFuture<KafkaRaftServer> f : futures) {
            try {
                servers.add(f.join());
            } catch (final CompletionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
        if (failure != null) {
            shutdownAll(servers, new KafkaRaftServer[0]);
            throw failure;
        }
        return servers;
    }

    private static KafkaRaftServer startServer(final Properties p) {
        final KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(p, false), Time.SYSTEM);
        server.startup();
        return server;
    }

    private static void shutdownAll(final List<KafkaRaftServer> controllers, final KafkaRaftServer[] brokers) {
        final List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (final KafkaRaftServer b : brokers) {
            if (b != null) {
                stops.add(CompletableFuture.runAsync(() -> stop(b)));
            }
        }
        stops.forEach(CompletableFuture::join);
        // together: a quorum stopped one node after the other elects anew each time, and its last
        // node waits 5 s for a graceful shutdown that needs a majority
        controllers.stream().map(c -> CompletableFuture.runAsync(() -> stop(c))).toList().forEach(CompletableFuture::join);
    }

    private static void stop(final KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (final RuntimeException e) {
            LOG.warn("Stopping an embedded Kafka node failed: {}", e.toString());
        }
    }

    /** Every broker's address, stopped ones included (clients skip them). */
    public String bootstrapServers() {
        final List<String> addresses = new ArrayList<>();
        for (final int port : brokerPorts) {
            addresses.add("127.0.0.1:" + port);
        }
        return String.join(",", addresses);
    }

    /** Broker {@code i}'s address (0-based). */
    public String brokerAddress(final int i) {
        return "127.0.0.1:" + brokerPorts[i];
    }

    /** Broker {@code i}'s node id (0-based index; ids are 1..n). */
    public int brokerId(final int i) {
        return i + 1;
    }

    public int brokerCount() {
        return brokers.length;
    }

    public synchronized boolean isRunning(final int i) {
        return brokers[i] != null;
    }

    /**
     * Stops broker {@code i} (0-based) with a controlled shutdown: the controllers move its
     * leaderships to the other replicas and shrink the ISRs; its log directory and port are kept.
     */
    public synchronized void stopBroker(final int i) {
        final KafkaRaftServer server = brokers[i];
        if (server == null) {
            throw new IllegalStateException("broker " + brokerId(i) + " is not running");
        }
        final long t0 = System.nanoTime();
        brokers[i] = null;
        stop(server);
        LOG.info("Embedded broker {} ({}) stopped in {} ms", brokerId(i), brokerAddress(i),
            Duration.ofNanos(System.nanoTime() - t0).toMillis());
    }

    /** Starts broker {@code i} again on its port and log directory; returns once the cluster counts it. */
    public void startBroker(final int i) {
        final long t0 = System.nanoTime();
        synchronized (this) {
            if (brokers[i] != null) {
                throw new IllegalStateException("broker " + brokerId(i) + " is running");
            }
            brokers[i] = startServer(brokerConfigs.get(i));
        }
        EmbeddedKafka.awaitBrokers(bootstrapServers(), running(), READY_TIMEOUT);
        LOG.info("Embedded broker {} ({}) started again in {} ms", brokerId(i), brokerAddress(i),
            Duration.ofNanos(System.nanoTime() - t0).toMillis());
    }

    private synchronized int running() {
        int n = 0;
        for (final KafkaRaftServer b : brokers) {
            n += b == null ? 0 : 1;
        }
        return n;
    }

    /** Partitions (internal topics included) whose ISR is smaller than their replica set, with their ISR. */
    public Map<String, List<Integer>> underReplicatedPartitions() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000))) {
            final var names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(15, TimeUnit.SECONDS);
            final Map<String, TopicDescription> descriptions = admin.describeTopics(names).allTopicNames().get(15, TimeUnit.SECONDS);
            final Map<String, List<Integer>> under = new TreeMap<>();
            descriptions.forEach((name, d) -> {
                for (final TopicPartitionInfo p : d.partitions()) {
                    if (p.isr().size() < p.replicas().size()) {
                        under.put(name + "-" + p.partition(), p.isr().stream().map(n -> n.id()).collect(Collectors.toList()));
                    }
                }
            });
            return under;
        }
    }

    /** Waits until every partition's ISR is its whole replica set: a restarted broker has caught up. */
    public void awaitFullyReplicated(final Duration timeout) throws Exception {
        final long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, List<Integer>> under = Map.of();
        while (System.nanoTime() < deadline) {
            try {
                under = underReplicatedPartitions();
                if (under.isEmpty()) {
                    return;
                }
            } catch (final Exception e) {
                under = Map.of("(describe failed)", List.of());
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("Partitions still under-replicated after " + timeout + ": " + under);
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        final KafkaRaftServer[] running;
        synchronized (this) {
            running = brokers.clone();
            java.util.Arrays.fill(brokers, null);
        }
        shutdownAll(controllers, running);
        if (deleteOnClose) {
            EmbeddedKafka.deleteRecursively(dataDir);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaCluster[" + bootstrapServers() + ", " + controllers.size() + " controllers, " + dataDir + "]";
    }
}
