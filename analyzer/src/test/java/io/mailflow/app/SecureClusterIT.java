package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.serde.FakeRegistryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mailflow against a secured broker, as child processes of target/mailflow.jar configured by a
 * properties file (-c) the way a deployment is: SASL_SSL with SCRAM-SHA-512 and PLAIN, SSL with
 * client certificates (mTLS), ACLs enforced, no ACL meaning no access.
 *
 * <ul>
 *   <li>{@code mailflow run} as {@code User:mailflow} (SCRAM-SHA-512, its password read from a file by
 *       Kafka's FileConfigProvider) with exactly the ACLs of the {@code mailflow} KafkaUser in
 *       deploy/kubernetes/base/kafka-users.yaml, parsed from the manifest: they suffice.</li>
 *   <li>{@code mailflow replay} over mTLS as the operator's certificate, {@code mailflow consume} of the
 *       alerts and NDRs as the operator over SASL PLAIN and over mTLS: alerts and NDRs come out.</li>
 *   <li>A user and a certificate without ACLs: {@code replay} and {@code consume} fail within seconds
 *       with exit code 1 and one line naming the topic, the principal and where the ACLs are, no stack trace.</li>
 *   <li>No password appears in anything the processes printed.</li>
 * </ul>
 */
class SecureClusterIT {
    private static final Duration DONE = Duration.ofSeconds(75);
    private static final String STORE_PASSWORD = "store-Pw-" + Long.toHexString(System.nanoTime());
    private static final String ADMIN_PASSWORD = "admin-Pw-" + Long.toHexString(System.nanoTime());
    private static final String MAILFLOW_PASSWORD = "scram-Pw-" + Long.toHexString(System.nanoTime() * 31);
    private static final String OPERATOR_PASSWORD = "plain-Pw-" + Long.toHexString(System.nanoTime() * 17);
    private static final String INTRUDER_PASSWORD = "intruder-Pw-" + Long.toHexString(System.nanoTime() * 7);
    private static final String WRONG_PASSWORD = "wrong-Pw-" + Long.toHexString(System.nanoTime() * 13);
    private static final String OPERATOR_DN = "CN=mailflow-operator,OU=mailflow-it,O=mailflow";
    private static final String INTRUDER_DN = "CN=intruder,OU=mailflow-it,O=mailflow";

    @TempDir
    Path work;

    @Test
    void manifestAclsSufficeForTheAnalyzerAndMissingAclsFailFastAndClearly() throws Exception {
        final long t0 = System.nanoTime();
        final ClusterInstances.Reference reference = ClusterInstances.reference(ClusterInstances.POSTFIX_OUTAGE);
        final Path logs = reference.logs();
        final TestPki pki = TestPki.create(work.resolve("pki"), STORE_PASSWORD);
        final List<Path> stores = List.of(pki.keyStore("broker", "CN=localhost,OU=mailflow-it,O=mailflow", "127.0.0.1"),
            pki.keyStore("operator", OPERATOR_DN, null), pki.keyStore("intruder", INTRUDER_DN, null));
        final long certs = System.nanoTime();
        System.out.printf("SecureClusterIT: generated log and certificates in %d ms%n", ms(certs - t0));
        final EmbeddedKafka.Security security = new EmbeddedKafka.Security(stores.get(0), pki.trustStore(), STORE_PASSWORD,
            "admin", ADMIN_PASSWORD, Map.of("mailflow-operator", OPERATOR_PASSWORD));
        final List<String> outputs = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.startSecured(security);
             FakeRegistryServer registry = FakeRegistryServer.start()) {
            final long brokerUp = System.nanoTime();
            System.out.printf("SecureClusterIT: secured broker up in %d ms%n", ms(brokerUp - certs));
            final Map<String, Object> adminProps = kafka.adminProperties();
            // the topics, as the admin (Strimzi's Topic Operator in a deployment); ACLs and SCRAM users (Strimzi's User Operator)
            final MailflowConfig topicsConfig = MailflowConfig.builder().defaults()
                .override("mailflow.topic.partitions", "1").override("mailflow.topic.retention", "infinite").build();
            try (Admin admin = Admin.create(adminProps)) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(topicsConfig), false);
                final List<AclBinding> acls = new ArrayList<>(manifestAcls("mailflow", "User:mailflow"));
                acls.addAll(operatorAcls("User:mailflow-operator"));
                acls.addAll(operatorAcls("User:" + OPERATOR_DN));
                admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
            }
            kafka.scramUser("mailflow", MAILFLOW_PASSWORD);
            kafka.scramUser("intruder", INTRUDER_PASSWORD);

            final Map<String, String> common = new LinkedHashMap<>();
            common.put("bootstrap.servers", kafka.bootstrapServers());
            common.put("schema.registry.url", registry.url().toString());
            common.put("ssl.truststore.type", "PKCS12");
            common.put("ssl.truststore.location", pki.trustStore().toString());
            common.put("ssl.truststore.password", STORE_PASSWORD);
            // the analyzer: SCRAM-SHA-512, the password from a file through Kafka's FileConfigProvider
            final Path secrets = write("secrets.properties", Map.of("mailflow.password", MAILFLOW_PASSWORD));
            final Map<String, String> analyzer = new LinkedHashMap<>(common);
            analyzer.put("security.protocol", "SASL_SSL");
            analyzer.put("sasl.mechanism", "SCRAM-SHA-512");
            analyzer.put("config.providers", "file");
            analyzer.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
            analyzer.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"mailflow\""
                + " password=\"${file:" + secrets + ":mailflow.password}\";");
            analyzer.put("state.dir", work.resolve("state").toString());
            analyzer.put("mailflow.topic.partitions", "1");
            analyzer.put("mailflow.queue.wall-clock-safety-net", "false");
            analyzer.put("mailflow.detect.partition-idle", "10m");
            analyzer.put("commit.interval.ms", "200");
            final Path analyzerConfig = write("analyzer.properties", analyzer);
            // the operator: SASL PLAIN (a user of the listener's JAAS config), and the same principal's certificate (mTLS)
            final Map<String, String> operatorSasl = new LinkedHashMap<>(common);
            operatorSasl.putAll(security.saslClientProperties("PLAIN", "mailflow-operator", OPERATOR_PASSWORD));
            final Path operatorSaslConfig = write("operator-sasl.properties", operatorSasl);
            final Path operatorTlsConfig = write("operator-tls.properties", tls(common, kafka, stores.get(1)));
            final Map<String, String> intruderSasl = new LinkedHashMap<>(common);
            intruderSasl.putAll(security.saslClientProperties("SCRAM-SHA-512", "intruder", INTRUDER_PASSWORD));
            final Path intruderSaslConfig = write("intruder-sasl.properties", intruderSasl);
            final Path intruderTlsConfig = write("intruder-tls.properties", tls(common, kafka, stores.get(2)));
            final Map<String, String> wrongPassword = new LinkedHashMap<>(common);
            wrongPassword.putAll(security.saslClientProperties("SCRAM-SHA-512", "mailflow", WRONG_PASSWORD));
            final Path wrongPasswordConfig = write("wrong-password.properties", wrongPassword);

            // the analyzer as User:mailflow with the manifest's ACLs
            final Process run = start("run", "run", "-c", analyzerConfig.toString(), "--metrics-port", "0", "--query-port", "0");
            final long runStarted = System.nanoTime();
            // no ACLs: fails at once, saying on what and as whom, without a stack trace; while the analyzer works
            // one after the other: each one's time is how long a user waits for the answer (JVM start included)
            final java.util.concurrent.CompletableFuture<List<Run>> refusals = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return List.of(
                        mailflow("intruder-replay-sasl", "replay", "-c", intruderSaslConfig.toString(), "--format", "postfix",
                            logs.toString()),
                        mailflow("intruder-consume-sasl", "consume", "-c", intruderSaslConfig.toString(), "mailflow.alerts"),
                        mailflow("intruder-replay-mtls", "replay", "-c", intruderTlsConfig.toString(), "--format", "postfix",
                            logs.toString()),
                        mailflow("intruder-consume-mtls", "consume", "-c", intruderTlsConfig.toString(), "mailflow.ndr"),
                        mailflow("wrong-password-consume", "consume", "-c", wrongPasswordConfig.toString(), "mailflow.ndr"));
                } catch (final IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // the replay over mTLS, as the operator's certificate
            final Run replay = mailflow("replay-mtls", "replay", "-c", operatorTlsConfig.toString(), "--format", "postfix",
                logs.toString());
            outputs.add(replay.output());
            assertEquals(0, replay.exit(), "replay over mTLS: " + replay.output() + tail("run"));
            awaitAnalysed(adminProps, run);
            final long analysed = System.nanoTime();
            System.out.printf("SecureClusterIT: replay %d ms, analysed %d ms after the start of run%n", replay.millis(),
                ms(analysed - runStarted));

            final List<Run> reads = parallel(
                () -> mailflow("consume-alerts-sasl-plain", "consume", "-c", operatorSaslConfig.toString(), "mailflow.alerts"),
                () -> mailflow("consume-ndr-sasl-plain", "consume", "-c", operatorSaslConfig.toString(), "mailflow.ndr"),
                () -> mailflow("consume-ndr-mtls", "consume", "-c", operatorTlsConfig.toString(), "mailflow.ndr"));
            final Run alerts = reads.get(0);
            final Run ndrs = reads.get(1);
            final Run ndrsTls = reads.get(2);
            outputs.addAll(List.of(alerts.output(), ndrs.output(), ndrsTls.output()));
            assertEquals(0, alerts.exit(), alerts.output());
            assertEquals(0, ndrs.exit(), ndrs.output());
            assertEquals(0, ndrsTls.exit(), ndrsTls.output());
            final long alertCount = jsonLines(alerts.output());
            final long ndrCount = jsonLines(ndrs.output());
            System.out.printf("SecureClusterIT: %d alerts, %d NDRs (SASL PLAIN), %d NDRs (mTLS)%n", alertCount, ndrCount,
                jsonLines(ndrsTls.output()));
            assertTrue(alertCount > 0 && ndrCount > 0, "alerts " + alertCount + ", NDRs " + ndrCount + tail("run"));
            assertEquals(ndrCount, jsonLines(ndrsTls.output()), "the NDRs over mTLS and over SASL");
            // what the secured cluster made of the log is what the embedded one-partition replay makes of it
            assertEquals(ClusterInstances.values(reference.outputs(), "mailflow.alerts"), jsonValues(alerts.output()),
                "alerts, as the embedded replay of this log");
            assertEquals(ClusterInstances.values(reference.outputs(), "mailflow.ndr"), jsonValues(ndrs.output()),
                "NDRs, as the embedded replay of this log");

            final List<Run> refused = new ArrayList<>(refusals.get(120, TimeUnit.SECONDS));
            final Run wrongLogin = refused.remove(refused.size() - 1);
            outputs.add(wrongLogin.output());
            System.out.printf("SecureClusterIT: %s exit %d after %d ms: %s%n", wrongLogin.name(), wrongLogin.exit(), wrongLogin.millis(),
                wrongLogin.output().trim());
            assertEquals(ExitCodes.RUNTIME_FAILURE, wrongLogin.exit(), wrongLogin.output());
            assertTrue(wrongLogin.output().contains("Kafka refused to authenticate user mailflow (SASL_SSL, SCRAM-SHA-512)"), wrongLogin.output());
            assertFalse(wrongLogin.output().contains("\tat "), wrongLogin.output());
            final Map<String, String> deniedTopic = Map.of("intruder-replay-sasl", "mailflow.traces",
                "intruder-consume-sasl", "mailflow.alerts", "intruder-replay-mtls", "mailflow.traces", "intruder-consume-mtls", "mailflow.ndr");
            for (final Run r : refused) {
                outputs.add(r.output());
                System.out.printf("SecureClusterIT: %s exit %d after %d ms: %s%n", r.name(), r.exit(), r.millis(), r.output().trim());
                assertEquals(ExitCodes.RUNTIME_FAILURE, r.exit(), r.name() + ": " + r.output());
                assertTrue(r.millis() < 20_000, r.name() + " took " + r.millis() + " ms");
                assertTrue(r.output().contains("not authorized"), r.name() + ": " + r.output());
                assertTrue(r.output().contains(deniedTopic.get(r.name())), r.name() + ": " + r.output());
                assertTrue(r.output().contains(r.name().contains("sasl") ? "user intruder" : "intruder.p12"), r.name() + ": " + r.output());
                assertTrue(r.output().contains("kafka-users.yaml"), r.name() + ": " + r.output());
                assertFalse(r.output().contains("\tat "), r.name() + " printed a stack trace: " + r.output());
            }
            assertTrue(run.isAlive(), "the analyzer stopped: " + tail("run"));
            run.destroy();
            run.waitFor(60, TimeUnit.SECONDS);
            outputs.add(Files.readString(work.resolve("run.log")));
            for (final String secret : List.of(MAILFLOW_PASSWORD, OPERATOR_PASSWORD, INTRUDER_PASSWORD, WRONG_PASSWORD, ADMIN_PASSWORD,
                STORE_PASSWORD)) {
                for (final String output : outputs) {
                    assertFalse(output.contains(secret), "a password was printed: " + output);
                }
            }
            System.out.printf("SecureClusterIT: certificates %d ms, broker %d ms, run+replay until analysed %d ms, total %d ms%n",
                ms(certs - t0), ms(brokerUp - certs), ms(analysed - runStarted), ms(System.nanoTime() - t0));
        }
    }

    private Map<String, String> tls(final Map<String, String> common, final EmbeddedKafka kafka, final Path keyStore) {
        final Map<String, String> p = new LinkedHashMap<>(common);
        p.put("bootstrap.servers", kafka.sslBootstrapServers());
        p.put("security.protocol", "SSL");
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.keystore.location", keyStore.toString());
        p.put("ssl.keystore.password", STORE_PASSWORD);
        p.put("ssl.key.password", STORE_PASSWORD);
        return p;
    }

    /**
     * The ACLs of KafkaUser {@code user} in deploy/kubernetes/base/kafka-users.yaml (Strimzi's
     * simple authorization) as Kafka ACL bindings for {@code principal}.
     */
    static List<AclBinding> manifestAcls(final String user, final String principal) throws IOException {
        final Path manifest = Path.of(System.getProperty("mailflow.project.dir", ".."), "deploy", "kubernetes", "base", "kafka-users.yaml");
        final List<AclBinding> bindings = new ArrayList<>();
        try (var docs = new YAMLMapper().readerFor(JsonNode.class).readValues(manifest.toFile())) {
            while (docs.hasNext()) {
                final JsonNode doc = (JsonNode) docs.next();
                if (!"KafkaUser".equals(doc.path("kind").asText()) || !user.equals(doc.path("metadata").path("name").asText())) {
                    continue;
                }
                for (final JsonNode acl : doc.path("spec").path("authorization").path("acls")) {
                    final JsonNode resource = acl.path("resource");
                    final ResourceType type = switch (resource.path("type").asText()) {
                        case "topic" -> ResourceType.TOPIC;
                        case "group" -> ResourceType.GROUP;
                        case "transactionalId" -> ResourceType.TRANSACTIONAL_ID;
                        case "cluster" -> ResourceType.CLUSTER;
                        default -> throw new IllegalArgumentException("resource type " + resource.path("type"));
                    };
                    final String name = type == ResourceType.CLUSTER ? "kafka-cluster" : resource.path("name").asText();
                    final PatternType pattern = "prefix".equals(resource.path("patternType").asText()) ? PatternType.PREFIXED : PatternType.LITERAL;
                    final List<JsonNode> operations = new ArrayList<>();
                    acl.path("operations").forEach(operations::add);
                    if (acl.has("operation")) {
                        operations.add(acl.path("operation"));
                    }
                    for (final JsonNode op : operations) {
                        final AclOperation operation = AclOperation.valueOf(
                            op.asText().replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
                        bindings.add(new AclBinding(new ResourcePattern(type, name, pattern),
                            new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW)));
                    }
                }
            }
        }
        assertFalse(bindings.isEmpty(), "no ACLs for KafkaUser " + user + " in " + manifest);
        return bindings;
    }

    /**
     * What {@code replay} and {@code consume} need (docs/deploy.md, "Secure connections"): replay
     * writes traces and dead letters and checks that every mailflow topic exists (Describe; the
     * traces topic's retention: DescribeConfigs); consume reads the outputs, without a group.
     */
    static List<AclBinding> operatorAcls(final String principal) {
        final List<AclBinding> acls = new ArrayList<>();
        final Map<String, List<AclOperation>> topics = new LinkedHashMap<>();
        topics.put("mailflow.traces", List.of(AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.DESCRIBE_CONFIGS));
        topics.put("mailflow.dead-letters", List.of(AclOperation.WRITE, AclOperation.READ, AclOperation.DESCRIBE));
        for (final String out : List.of("mailflow.alerts", "mailflow.ndr", "mailflow.delays", "mailflow.connector-stats")) {
            topics.put(out, List.of(AclOperation.READ, AclOperation.DESCRIBE));
        }
        topics.put("mailflow.raw-lines", List.of(AclOperation.DESCRIBE));
        topics.put("mailflow.ship-positions", List.of(AclOperation.DESCRIBE));
        topics.forEach((topic, ops) -> ops.forEach(op -> acls.add(new AclBinding(
            new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL),
            new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)))));
        return acls;
    }

    /** Until the group has committed every trace and the outputs stopped growing for 5 s. */
    private void awaitAnalysed(final Map<String, Object> adminProps, final Process run) throws Exception {
        final long deadline = System.nanoTime() + DONE.toNanos();
        Map<TopicPartition, Long> last = Map.of();
        long stableSince = -1;
        try (Admin admin = Admin.create(adminProps)) {
            while (System.nanoTime() < deadline) {
                assertTrue(run.isAlive(), "mailflow run died: " + tail("run"));
                final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
                for (final String t : List.of("mailflow.traces", "mailflow.alerts", "mailflow.ndr", "mailflow.delays",
                    "mailflow.connector-stats", "mailflow.dead-letters")) {
                    request.put(new TopicPartition(t, 0), OffsetSpec.latest());
                }
                final Map<TopicPartition, Long> ends = new HashMap<>();
                admin.listOffsets(request).all().get(10, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
                final Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets("mailflow").partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                final OffsetAndMetadata traces = committed.get(new TopicPartition("mailflow.traces", 0));
                final boolean caughtUp = traces != null && traces.offset() >= ends.get(new TopicPartition("mailflow.traces", 0));
                if (caughtUp && ends.equals(last)) {
                    if (stableSince < 0) {
                        stableSince = System.nanoTime();
                    } else if (System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(5)) {
                        return;
                    }
                } else {
                    stableSince = -1;
                }
                last = ends;
                Thread.sleep(500);
            }
        }
        throw new AssertionError("not analysed within " + DONE + tail("run"));
    }

    record Run(String name, int exit, String output, long millis) {
    }

    interface RunCall {
        Run call() throws Exception;
    }

    /** The calls at the same time (child JVMs start in parallel), their runs in the same order. */
    private static List<Run> parallel(final RunCall... calls) throws Exception {
        final java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(calls.length);
        try {
            final List<java.util.concurrent.Future<Run>> futures = new ArrayList<>();
            for (final RunCall call : calls) {
                futures.add(pool.submit(call::call));
            }
            final List<Run> runs = new ArrayList<>();
            for (final java.util.concurrent.Future<Run> f : futures) {
                runs.add(f.get(120, TimeUnit.SECONDS));
            }
            return runs;
        } finally {
            pool.shutdownNow();
        }
    }

    /** `mailflow ARGS` in a child JVM of target/mailflow.jar, until it exits; its stdout and stderr together. */
    private Run mailflow(final String name, final String... args) throws IOException, InterruptedException {
        final long t0 = System.nanoTime();
        final Process p = start(name, args);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(name + " did not finish within 90 s: " + tail(name));
        }
        return new Run(name, p.exitValue(), Files.readString(work.resolve(name + ".log"), StandardCharsets.UTF_8), ms(System.nanoTime() - t0));
    }

    private Process start(final String name, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx384m", "-XX:TieredStopAtLevel=1", "-jar", Path.of("target", "mailflow.jar").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(work.resolve(name + ".log").toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("MAILFLOW_"));
        return pb.start();
    }

    private String tail(final String name) {
        try {
            final List<String> lines = Files.readAllLines(work.resolve(name + ".log"));
            return "\n--- " + name + ".log ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (final IOException e) {
            return "\n(no " + name + ".log: " + e + ")";
        }
    }

    private Path write(final String file, final Map<String, String> settings) throws IOException {
        final Properties props = new Properties();
        props.putAll(settings);
        final Path path = work.resolve(file);
        try (var out = Files.newOutputStream(path)) {
            props.store(out, null);
        }
        return path;
    }

    private static List<String> jsonValues(final String output) {
        return output.lines().filter(l -> l.startsWith("{")).sorted().toList();
    }

    private static long jsonLines(final String output) {
        return output.lines().filter(l -> l.startsWith("{")).count();
    }

    private static long ms(final long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
