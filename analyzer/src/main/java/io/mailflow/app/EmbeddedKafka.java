package io.mailflow.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) inside this JVM, from
 * the same jars a standalone broker runs. It backs {@code mailflow demo}, {@code replay
 * --embedded}, the integration tests and the benchmark: a real log, real transactions, real
 * consumer groups, so exactly-once and rebalances behave as in production.
 *
 * <p>Why our own instead of Kafka's {@code KafkaClusterTestKit}: that kit needs a kafka-clients
 * test jar that 4.4.0 does not publish, and defaults to a testing metadata version.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int brokerPort;
    private final Security security;
    private final int sslPort;
    private final KafkaRaftServer server;
    private final Duration startupTime;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private EmbeddedKafka(final Path dataDir, final boolean deleteOnClose, final int brokerPort, final Security security,
                          final int sslPort, final KafkaRaftServer server, final Duration startupTime) {
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.brokerPort = brokerPort;
        this.security = security;
        this.sslPort = sslPort;
        this.server = server;
        this.startupTime = startupTime;
    }

    /** Starts a broker on free loopback ports with a temporary data directory, deleted on close. */
    public static EmbeddedKafka start() {
        return start(0, null, Map.of());
    }

    /**
     * Starts a broker.
     *
     * @param port      broker port on 127.0.0.1, or 0 for a free one
     * @param dataDir   log directory (kept on close), or null for a temporary one (deleted on close)
     * @param overrides extra broker properties
     */
    public static EmbeddedKafka start(final int port, final Path dataDir, final Map<String, String> overrides) {
        return start(port, dataDir, overrides, null);
    }

    /**
     * Starts a broker whose client listeners are secured as {@code security} says (see
     * {@link Security}): SASL_SSL (SCRAM-SHA-512 and PLAIN) and SSL with client certificates
     * required, ACLs enforced. {@link #bootstrapServers()} is then the SASL_SSL listener,
     * {@link #sslBootstrapServers()} the mTLS one, {@link #adminProperties()} the super user's client settings.
     */
    public static EmbeddedKafka startSecured(final Security security) {
        return start(0, null, Map.of(), java.util.Objects.requireNonNull(security, "security"));
    }

    private static EmbeddedKafka start(final int port, final Path dataDir, final Map<String, String> overrides,
                                       final Security security) {
        final long t0 = System.nanoTime();
        final boolean temporary = dataDir == null;
        try {
            final Path dir = temporary ? Files.createTempDirectory("mailflow-kafka-") : Files.createDirectories(dataDir);
            final int[] free = freePorts(3);
            final int brokerPort = port == 0 ? free[0] : port;
            final int controllerPort = free[1] != brokerPort ? free[1] : free[0];
            final int sslPort = free[2] != brokerPort ? free[2] : free[0];
            final Properties props = brokerProperties(dir, brokerPort, controllerPort);
            if (security != null) {
                props.putAll(security.brokerProperties(brokerPort, sslPort, controllerPort));
            }
            overrides.forEach(props::setProperty);
            format(dir, props);
            final long formatted = System.nanoTime();
            final KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            final long started = System.nanoTime();
            final EmbeddedKafka kafka = new EmbeddedKafka(dir, temporary, brokerPort, security,
                security == null ? -1 : sslPort, server, Duration.ofNanos(System.nanoTime() - t0));
            kafka.awaitReady();
            LOG.info("Embedded Kafka broker ready on {} in {} ms", kafka.bootstrapServers(),
                Duration.ofNanos(System.nanoTime() - t0).toMillis());
            LOG.debug("Embedded broker phases: format {} ms, startup {} ms, until it answered {} ms",
                Duration.ofNanos(formatted - t0).toMillis(), Duration.ofNanos(started - formatted).toMillis(),
                Duration.ofNanos(System.nanoTime() - started).toMillis());
            return kafka;
        } catch (final IOException e) {
            throw new UncheckedIOException("Cannot start the embedded Kafka broker", e);
        }
    }

    static Properties brokerProperties(final Path dir, final int brokerPort, final int controllerPort) {
        final Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("log.dirs", dir.resolve("log").toString());
        // One node: every internal topic must live with replication factor 1.
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        commonProperties(p);
        return p;
    }

    /**
     * The settings every node of an embedded cluster shares, this broker's and each node of
     * {@link EmbeddedKafkaCluster}'s: the listener names, and what suits a busy laptop or CI
     * machine. Replication settings are the caller's.
     */
    static void commonProperties(final Properties p) {
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("offsets.topic.num.partitions", "4");
        p.setProperty("transaction.state.log.num.partitions", "4");
        // A new group's first rebalance waits this long for more members (Kafka's default: 3 s).
        // Not 0: the analyzer's stream threads join a moment apart, and a thread that joined after
        // the first generation was assigned made a second one, in which the tasks moving to it are
        // first revoked; when those were all of a sub-topology's tasks, the consumer warned "The
        // following subscribed topics are not assigned to any members" (HealthyRunLogIT, CI on
        // 2026-12-04). With 200 ms the threads join one generation: one rebalance instead of two.
        p.setProperty("group.initial.rebalance.delay.ms", "200");
        // mailflow creates its topics itself; auto-creation would hide a missing topic.
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("num.partitions", "1");
        p.setProperty("log.retention.hours", "-1");
        // The log cleaner clears its whole dedupe buffer (Kafka's 128 MiB) before every cleaning
        // of a compacted changelog: 6 % of all CPU samples in a profile of the bench, on cores the
        // analyzer needs. 16 MiB still maps about 600,000 keys per pass; larger logs take more passes.
        p.setProperty("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
        // Each new log segment's offset and time index is a sparse file of this size that the
        // broker maps into memory. On Linux 6.x with ext4 (this machine: 6.18), the first touch of a
        // mapped index reads ahead in large folios and zero-fills the holes: with Kafka's 10 MiB the
        // request handlers spent up to half of both cores in that memset in the bench's second and
        // later runs, each a new app with a hundred new partitions (perf: filemap_fault >
        // page_cache_ra_order > ext4_mpage_readpages > zero_user_segments). A segment now rolls when
        // an index is full: after 350-512 MB of log (an entry per 4 KiB; 12-byte time entries,
        // 8-byte offset entries), not at 1 GiB (docs/benchmarks.md, "Fourteenth cut").
        p.setProperty("log.index.size.max.bytes", String.valueOf(1024 * 1024));
        // Transactions v2 (KIP-890, the default of a fresh 4.x cluster): the coordinator finishes a
        // commit (markers, then COMPLETE_COMMIT) after it has answered the producer, and Kafka
        // Streams starts its next transaction at once. The first produce of that transaction to a
        // partition adds the partition implicitly; while the coordinator is still completing, it
        // answers CONCURRENT_TRANSACTIONS, which the broker retries for up to this long before it
        // returns the error to the producer. Kafka's 100 ms is often too short on a busy laptop
        // (2 cores shared with the analyzer and the replay), and then the producer's pipelined
        // requests behind the refused one are rejected as out of order (see
        // docs/architecture.md, "Log lines you may see"). 5 s stays far below the producer's
        // request.timeout.ms (30 s), the bound within which this setting takes effect.
        p.setProperty("add.partitions.to.txn.retry.backoff.max.ms", "5000");
        // The controller logs an ERROR for any event that took more than 2 s ("Exceptionally slow
        // controller event"). This broker shares a laptop's cores with the analyzer and the replay
        // (and a CI machine's with everything else), where a few seconds without CPU is weather, not
        // a fault. Slower than the broker's session timeout (9 s) it could fence the broker: that
        // is still reported.
        p.setProperty("controller.performance.always.log.threshold.ms", "9000");
    }

    private static void format(final Path dir, final Properties props) throws IOException {
        format(dir, props, clusterId(dir));
    }

    /**
     * Writes {@code props} to {@code dir}/server.properties and formats the node's log dirs with
     * {@code clusterId}; a directory formatted before is left as it is.
     */
    static void format(final Path dir, final Properties props, final String clusterId) throws IOException {
        final Path config = dir.resolve("server.properties");
        try (OutputStream out = Files.newOutputStream(config)) {
            props.store(out, "mailflow embedded broker");
        }
        final ByteArrayOutputStream output = new ByteArrayOutputStream();
        final int rc;
        try (PrintStream ps = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", config.toString(),
                "--ignore-formatted"}, ps);
        }
        if (rc != 0) {
            throw new IllegalStateException("Formatting the embedded broker's storage failed: " + output.toString(StandardCharsets.UTF_8));
        }
    }

    /** A restarted broker keeps the cluster id its data directory was formatted with. */
    static String clusterId(final Path dir) throws IOException {
        final Path meta = dir.resolve("log").resolve("meta.properties");
        if (Files.exists(meta)) {
            final Properties formatted = new Properties();
            try (java.io.InputStream in = Files.newInputStream(meta)) {
                formatted.load(in);
            }
            final String id = formatted.getProperty("cluster.id");
            if (id != null && !id.isBlank()) {
                return id;
            }
        }
        return Uuid.randomUuid().toString();
    }

    private void awaitReady() {
        awaitBrokers(adminProperties(), 1, READY_TIMEOUT);
    }

    /** Waits until the cluster at {@code bootstrap} (plain listeners) reports at least {@code brokers} live brokers. */
    static void awaitBrokers(final String bootstrap, final int brokers, final Duration timeout) {
        awaitBrokers(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), brokers, timeout);
    }

    /** Waits until the cluster the admin settings reach reports at least {@code brokers} live brokers. */
    static void awaitBrokers(final Map<String, Object> adminProperties, final int brokers, final Duration timeout) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        final Map<String, Object> props = new java.util.HashMap<>(adminProperties);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        try (Admin admin = Admin.create(props)) {
            while (true) {
                try {
                    if (admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= brokers) {
                        return;
                    }
                } catch (final Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Embedded Kafka not ready after " + timeout + " (" + brokers + " brokers)", e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Embedded Kafka has fewer than " + brokers + " brokers after " + timeout);
                }
                sleep(50);
            }
        }
    }

    /** The client listener: PLAINTEXT, or SASL_SSL on a secured broker. */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    /** The SSL listener with client certificates required (mTLS) of a secured broker. */
    public String sslBootstrapServers() {
        if (security == null) {
            throw new IllegalStateException("this broker was not started with security: it has no SSL listener");
        }
        return "127.0.0.1:" + sslPort;
    }

    /** Client settings of the super user ({@link Security#adminUser}, SASL_SSL PLAIN), or just the address of a plain broker. */
    public Map<String, Object> adminProperties() {
        final Map<String, Object> props = new java.util.HashMap<>();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        if (security != null) {
            props.putAll(security.saslClientProperties("PLAIN", security.adminUser(), security.adminPassword()));
        }
        return props;
    }

    /**
     * Creates (or changes) SCRAM-SHA-512 user {@code user} through the Admin API as the super user,
     * and returns once the broker has applied it. Only on a secured broker.
     */
    public void scramUser(final String user, final String password) {
        if (security == null) {
            throw new IllegalStateException("this broker was not started with security: it has no SASL listener");
        }
        try (Admin admin = Admin.create(adminProperties())) {
            admin.alterUserScramCredentials(java.util.List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(user,
                new org.apache.kafka.clients.admin.ScramCredentialInfo(org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 8192),
                password))).all().get(30, TimeUnit.SECONDS);
        } catch (final java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("Cannot create SCRAM user " + user + ": " + e, e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating SCRAM user " + user, e);
        }
    }

    /** The security this broker was started with, or null. */
    public Security security() {
        return security;
    }

    /** Wall-clock time from the start call until the broker was formatted and answered describeCluster. */
    public Duration startupTime() {
        return startupTime;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return; // closed by a Ctrl-C handler and by the start it interrupted
        }
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
    }

    /**
     * The secured listeners of {@link #startSecured}. Certificates are the caller's: a PKCS12
     * keystore holding the broker's key and certificate (valid for 127.0.0.1) and a PKCS12 truststore
     * with the CA that signed it and the clients' certificates, both with {@code storePassword}.
     *
     * <ul>
     *   <li>SASL_SSL listener (name {@code SASL_SSL}): mechanisms SCRAM-SHA-512 (users created after the
     *       start through {@code Admin#alterUserScramCredentials}) and PLAIN ({@code plainUsers} and the
     *       admin, in the listener's JAAS config); inter-broker traffic runs there as the admin (PLAIN).</li>
     *   <li>SSL listener (name {@code SSL}): client certificate required; the principal is the
     *       certificate's subject ({@code User:CN=...,OU=...,O=...}).</li>
     *   <li>CONTROLLER: PLAINTEXT on loopback (principal ANONYMOUS, a super user with the admin: the
     *       broker registers with its controller before any ACL is loaded).</li>
     *   <li>StandardAuthorizer, {@code allow.everyone.if.no.acl.found=false}.</li>
     * </ul>
     */
    public record Security(Path keyStore, Path trustStore, String storePassword, String adminUser, String adminPassword,
                           Map<String, String> plainUsers) {
        public Security {
            plainUsers = Map.copyOf(plainUsers);
        }

        Map<String, String> brokerProperties(final int saslPort, final int sslPort, final int controllerPort) {
            final Map<String, String> p = new java.util.LinkedHashMap<>();
            p.put("listeners", "SASL_SSL://127.0.0.1:" + saslPort + ",SSL://127.0.0.1:" + sslPort
                + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "SASL_SSL://127.0.0.1:" + saslPort + ",SSL://127.0.0.1:" + sslPort);
            p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,SSL:SSL,CONTROLLER:PLAINTEXT");
            p.put("inter.broker.listener.name", "SASL_SSL");
            p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
            p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
            p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
            final StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required")
                .append(" username=\"").append(adminUser).append("\" password=\"").append(adminPassword).append('"')
                .append(" user_").append(adminUser).append("=\"").append(adminPassword).append('"');
            plainUsers.forEach((user, password) -> plain.append(" user_").append(user).append("=\"").append(password).append('"'));
            p.put("listener.name.sasl_ssl.plain.sasl.jaas.config", plain.append(';').toString());
            p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            p.put("ssl.keystore.type", "PKCS12");
            p.put("ssl.keystore.location", keyStore.toString());
            p.put("ssl.keystore.password", storePassword);
            p.put("ssl.key.password", storePassword);
            p.put("ssl.truststore.type", "PKCS12");
            p.put("ssl.truststore.location", trustStore.toString());
            p.put("ssl.truststore.password", storePassword);
            p.put("listener.name.ssl.ssl.client.auth", "required");
            p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            p.put("allow.everyone.if.no.acl.found", "false");
            p.put("super.users", "User:" + adminUser + ";User:ANONYMOUS");
            return p;
        }

        /** Client settings for {@code user} over SASL_SSL with {@code mechanism} (PLAIN or SCRAM-SHA-512). */
        public Map<String, String> saslClientProperties(final String mechanism, final String user, final String password) {
            final String module = mechanism.startsWith("SCRAM") ? "org.apache.kafka.common.security.scram.ScramLoginModule"
                : "org.apache.kafka.common.security.plain.PlainLoginModule";
            final Map<String, String> p = new java.util.LinkedHashMap<>();
            p.put("security.protocol", "SASL_SSL");
            p.put("sasl.mechanism", mechanism);
            p.put("sasl.jaas.config", module + " required username=\"" + user + "\" password=\"" + password + "\";");
            p.put("ssl.truststore.type", "PKCS12");
            p.put("ssl.truststore.location", trustStore.toString());
            p.put("ssl.truststore.password", storePassword);
            return p;
        }
    }

    /**
     * {@code n} distinct free ports. The sockets are held open together: ports asked for one after
     * the other may come back equal once the first is released (a broker listener and its
     * controller on one port refuse to start).
     */
    public static int[] freePorts(final int n) throws IOException {
        final ServerSocket[] sockets = new ServerSocket[n];
        try {
            final int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket(0);
                sockets[i].setReuseAddress(true);
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } finally {
            for (final ServerSocket socket : sockets) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
    }

    static void sleep(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for the embedded broker", e);
        }
    }

    static void deleteRecursively(final Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.getMessage());
        }
    }
}
