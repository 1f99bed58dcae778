package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.TopicReader;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.serde.DevRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The query API as deployed: one broker, 4-partition topics, the dev registry, two `mailflow run`
 * processes of one application, each with its own query port and one bearer token (which they pass
 * on to each other), a generated outage replayed into the traces topic. Once they have caught up, every connector's summary, queue and windows, every
 * active alert and a sample of messages and recipient addresses are asked of both instances: the
 * answers must be equal, and equal the truth computed here from the traces and the alerts topic.
 * Then a third instance joins and one of the first two leaves while a thread keeps asking: no
 * answer may differ from the truth; a 503 is allowed while the tasks move (counted), and they stop.
 */
@DisplayName("Query API: every key answered alike from either instance and equal to the truth, also across a rebalance")
class QueryApiIT {
    private static final int PARTITIONS = 4;
    private static final String[] SCENARIO = {"generate", "--seed", "5", "--duration", "2h", "--format", "exchange",
        "--connectors", "internet:4,partner-contoso:3,partner-fabrikam:2,mailbox:4",
        "--outage", "partner-fabrikam:4.4.315:30m@+20m", "--outage", "partner-contoso:4.4.316:60m@+1h20m"};
    /**
     * The state must not change while the answers are compared: no idle flush of open stats
     * partials (wall-clock driven), on top of ClusterInstances' partition-idle of 10 min.
     */
    private static final String[] QUIET = {"mailflow.detect.idle-flush=0s"};
    /** Every instance requires it, and must pass it on when it asks the others. */
    private static final String TOKEN = "query-it-token";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    @DisplayName("two instances answer alike and truly; a joining and a leaving instance cause no wrong answer")
    void answersAcrossInstances(@TempDir final Path shared) throws Exception {
        final Path logs = ClusterInstances.generate(shared.resolve("logs"), SCENARIO);
        final Path work = Path.of("target", "query-api-it").toAbsolutePath();
        EmbeddedKafka.deleteRecursively(work);
        Files.createDirectories(work);
        final long t0 = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(EmbeddedKafka.freePorts(2)[0], work.resolve("kafka"), Map.of());
             ClusterInstances instances = new ClusterInstances(work, PARTITIONS)) {
            final String registry = DevRegistry.url();
            final String app = "query-it-" + System.nanoTime();
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", registry)
                .override("application.id", app)
                .override("mailflow.topic.partitions", Integer.toString(PARTITIONS))
                .override("mailflow.topic.retention", "infinite")
                .build();
            final Topics topics = new Topics(config);
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            }
            KafkaReplay.replay(config, topics, List.of(logs), ReplayOptions.defaults());

            final Map<String, Integer> ports = new ConcurrentHashMap<>();
            final Map<String, Process> processes = new LinkedHashMap<>();
            for (final String name : List.of("a", "b")) {
                ports.put(name, ClusterInstances.freePort());
                processes.put(name, instances.start(name, kafka.bootstrapServers(), registry, app,
                    "mailflow.query.port=" + ports.get(name), "mailflow.query.advertised-host=127.0.0.1", QUIET[0],
                    "mailflow.query.token=" + TOKEN));
            }
            instances.awaitHealthy("a", Duration.ofSeconds(90));
            instances.awaitHealthy("b", Duration.ofSeconds(90));
            instances.awaitComplete(config, topics, app, List.copyOf(processes.values()), Duration.ofMinutes(4));
            System.out.printf("QueryApiIT: caught up %.1f s after start%n", (System.nanoTime() - t0) / 1e9);

            for (final String name : List.of("a", "b")) {
                assertEquals(401, get(ports.get(name), "/api/v1/connectors", null).status(), name + ": no token, no answer");
                final Answer health = get(ports.get(name), "/api/v1/health");
                assertEquals("RUNNING", health.body().path("state").asText(), name + " health: " + health.body());
            }
            final Truth truth = Truth.of(config, topics);
            final Map<String, Integer> outputsBefore = ClusterInstances.counts(ClusterInstances.outputs(config.kafkaProperties(), topics));
            final Map<String, JsonNode> answers = answersOf(ports.get("a"), truth);
            assertEquals(answers, answersOf(ports.get("b"), truth), "instance B answers every request as instance A does");
            checkTruth(answers, truth);
            final Map<String, JsonNode> examples = new TreeMap<>(answers);
            examples.put("/api/v1/health", get(ports.get("a"), "/api/v1/health").body());
            Files.writeString(work.resolve("answers.json"), JSON.writeValueAsString(examples)); // docs/query-api.md's examples
            System.out.printf("QueryApiIT: %d requests answered alike by A and B and true (%d connectors, %d queued, %d active alerts)%n",
                answers.size(), truth.queuedByConnector.size(), truth.queued.size(), truth.activeAlertIds.size());

            // a rebalance: C joins, then B leaves, while A and the others are asked all the time
            final AtomicBoolean stop = new AtomicBoolean();
            final AtomicInteger asked = new AtomicInteger();
            final AtomicInteger unavailable = new AtomicInteger();
            final Map<String, String> wrong = new ConcurrentHashMap<>();
            final Set<String> askedOf = ConcurrentHashMap.newKeySet();
            askedOf.addAll(List.of("a", "b"));
            final List<String> paths = new ArrayList<>(answers.keySet());
            final Thread asker = new Thread(() -> {
                while (!stop.get()) {
                    for (final String name : List.copyOf(askedOf)) {
                        final String path = paths.get(asked.get() % paths.size());
                        final Answer answer = get(ports.get(name), path);
                        asked.incrementAndGet();
                        if (answer.status() == 503) {
                            unavailable.incrementAndGet();
                        } else if (answer.status() != -1 && !answers.get(path).equals(answer.body())) {
                            wrong.put(name + " " + path, answer.status() + " " + answer.body());
                        }
                    }
                }
            }, "query-api-it-asker");
            asker.start();
            // C takes any free port (mailflow.query.port 0): the others must reach it at the port it bound
            processes.put("c", instances.start("c", kafka.bootstrapServers(), registry, app,
                "mailflow.query.advertised-host=127.0.0.1", QUIET[0], "mailflow.query.token=" + TOKEN));
            instances.awaitHealthy("c", Duration.ofSeconds(90));
            ports.put("c", boundQueryPort(instances, "c"));
            askedOf.add("c");
            awaitAllAnswer(ports, List.of("a", "b", "c"), answers, Duration.ofSeconds(60));
            final int unavailableWhileJoining = unavailable.get();
            askedOf.remove("b");
            processes.get("b").destroy(); // SIGTERM: a graceful leave
            processes.get("b").waitFor();
            awaitAllAnswer(ports, List.of("a", "c"), answers, Duration.ofSeconds(60));
            final int unavailableAfterLeave = unavailable.get();
            // settled: a further round of every request on both answers everything, with no 503
            final Map<String, String> afterwards = new TreeMap<>();
            for (final String path : paths) {
                for (final String name : List.of("a", "c")) {
                    final Answer answer = get(ports.get(name), path);
                    if (answer.status() != 200 || !answers.get(path).equals(answer.body())) {
                        afterwards.put(name + " " + path, answer.status() + " " + answer.body() + "\n  before: " + answers.get(path));
                    }
                }
            }
            stop.set(true);
            asker.join();
            final Map<String, Integer> outputsAfter = ClusterInstances.counts(ClusterInstances.outputs(config.kafkaProperties(), topics));
            assertEquals(outputsBefore, outputsAfter, "the state did not change while the answers were compared (no output since)");
            afterwards.forEach((k, v) -> System.out.println("QueryApiIT: after the rebalance, wrong: " + k + " -> " + v));
            assertEquals(Map.of(), afterwards, "every request answered 200 and as before once the rebalance settled");
            System.out.printf("QueryApiIT: during the rebalance %d requests, %d answered 503 (%d while C joined, %d while B left), %d wrong%n",
                asked.get(), unavailable.get(), unavailableWhileJoining, unavailableAfterLeave - unavailableWhileJoining, wrong.size());
            assertEquals(Map.of(), wrong, "no wrong answer during the rebalance");
            assertTrue(asked.get() > paths.size(), "the asker kept asking during the rebalance");
            System.out.printf("QueryApiIT: done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Every request the test makes, path -> answer from the instance on {@code port} (each must be 200). */
    private Map<String, JsonNode> answersOf(final int port, final Truth truth) {
        final List<String> paths = new ArrayList<>(List.of("/api/v1/connectors", "/api/v1/alerts", "/api/v1/alerts?state=all",
            "/api/v1/notices?limit=5"));
        for (final String connector : truth.connectors) {
            paths.add("/api/v1/connectors/" + encode(connector) + "/queue");
            paths.add("/api/v1/connectors/" + encode(connector) + "/windows");
        }
        truth.sampleMessages.keySet().forEach(m -> paths.add("/api/v1/messages/" + encode(m)));
        truth.deliveredMessages.forEach(m -> paths.add("/api/v1/messages/" + encode(m)));
        truth.sampleAddresses.keySet().forEach(a -> paths.add("/api/v1/recipients/" + encode(a)));
        final Map<String, JsonNode> out = new TreeMap<>();
        for (final String path : paths) {
            final Answer answer = get(port, path);
            assertEquals(200, answer.status(), path + " on :" + port + ": " + answer.body());
            out.put(path, answer.body());
        }
        return out;
    }

    private static void checkTruth(final Map<String, JsonNode> answers, final Truth truth) {
        final JsonNode connectors = answers.get("/api/v1/connectors").path("connectors");
        final Set<String> listed = new TreeSet<>();
        final Map<String, Long> queued = new TreeMap<>();
        connectors.forEach(c -> {
            listed.add(c.path("connectorId").asText());
            if (c.path("queuedRecipients").asLong() > 0) {
                queued.put(c.path("connectorId").asText(), c.path("queuedRecipients").asLong());
            }
        });
        assertTrue(listed.containsAll(truth.connectors), "every connector of the traces is listed: " + listed + " vs " + truth.connectors);
        assertEquals(truth.queuedByConnector, queued, "each connector's queue depth is its count of recipients whose last event is a deferral");
        final Set<String> active = new TreeSet<>();
        answers.get("/api/v1/alerts").path("alerts").forEach(a -> active.add(a.path("alertId").asText()));
        assertEquals(truth.activeAlertIds, active, "active alerts: the alerts topic's FIRING without RESOLVED");
        assertFalse(active.isEmpty(), "the scenario ends with an alert firing");
        final Set<String> everAlerted = new TreeSet<>();
        answers.get("/api/v1/alerts?state=all").path("alerts").forEach(a -> everAlerted.add(a.path("alertId").asText()));
        assertEquals(truth.allAlertIds, everAlerted, "state=all: every alert of the topic (it holds fewer than 1000 records)");
        for (final JsonNode c : connectors) {
            final String id = c.path("connectorId").asText();
            final JsonNode queue = answers.get("/api/v1/connectors/" + encode(id) + "/queue");
            if (queue == null) {
                continue;
            }
            long inBuckets = 0;
            for (final JsonNode b : queue.path("ageBuckets")) {
                inBuckets += b.path("recipients").asLong();
            }
            assertEquals(c.path("queuedRecipients").asLong(), queue.path("queuedRecipients").asLong(), id + ": queue depth in list and queue");
            assertEquals(queue.path("queuedRecipients").asLong(), inBuckets, id + ": the age buckets hold every queued recipient");
            long byDestination = 0;
            for (final JsonNode d : queue.path("destinations")) {
                byDestination += d.path("recipients").asLong();
            }
            assertEquals(inBuckets, byDestination, id + ": the destinations hold every queued recipient");
            assertEquals(Math.min(20, inBuckets), queue.path("samples").size(), id + ": up to 20 samples");
            final String status = c.path("status").asText();
            final boolean failing = c.path("activeAlerts").findValuesAsText("type").contains("CONNECTOR_FAILURE");
            assertEquals(failing, status.equals("failing"), id + ": failing exactly while a connector failure alert fires");
        }
        truth.sampleMessages.forEach((message, recipients) -> {
            final JsonNode answer = answers.get("/api/v1/messages/" + encode(message));
            assertTrue(answer.path("found").asBoolean(), message + " is queued: " + answer);
            final Set<String> got = new TreeSet<>();
            answer.path("recipients").forEach(r -> got.add(r.path("recipient").asText().toLowerCase(Locale.ROOT)
                + "@" + r.path("connectorId").asText()));
            assertEquals(recipients, got, message + ": its queued recipients and their connectors");
        });
        truth.deliveredMessages.forEach(message -> assertFalse(answers.get("/api/v1/messages/" + encode(message)).path("found").asBoolean(),
            message + " was delivered at once: not in the state"));
        truth.sampleAddresses.forEach((address, messages) -> {
            final Set<String> got = new TreeSet<>();
            answers.get("/api/v1/recipients/" + encode(address)).path("recipients").forEach(r -> got.add(
                r.path("networkMessageId").isNull() ? r.path("messageId").asText() : r.path("networkMessageId").asText()));
            assertEquals(messages, got, address + ": the messages queued for it");
        });
    }

    /** The query port instance {@code name} bound, from its start-up line ("query API on HOST:PORT/api/v1/"). */
    private static int boundQueryPort(final ClusterInstances instances, final String name) throws Exception {
        final java.util.regex.Pattern bound = java.util.regex.Pattern.compile("query API on [^ ]+:(\\d+)/api/v1/");
        for (int i = 0; i < 100; i++) {
            for (final String line : instances.logLines(name, "query API on ")) {
                final java.util.regex.Matcher m = bound.matcher(line);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " never said where its query API is: " + instances.tail());
    }

    /** Waits until every one of {@code names} answers every request 200 and as before. */
    private void awaitAllAnswer(final Map<String, Integer> ports, final List<String> names, final Map<String, JsonNode> answers,
                                final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (final String name : names) {
                final Answer answer = get(ports.get(name), "/api/v1/connectors");
                if (answer.status() != 200 || !answers.get("/api/v1/connectors").equals(answer.body())) {
                    all = false;
                    last = name + ": " + answer.status() + " " + answer.body();
                }
            }
            if (all) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("instances " + names + " did not all answer within " + timeout + ": " + last);
    }

    private Answer get(final int port, final String path) {
        return get(port, path, TOKEN);
    }

    private Answer get(final int port, final String path, final String token) {
        try {
            final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            final HttpResponse<String> r = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(r.statusCode(), JSON.readTree(r.body()));
        } catch (final IOException e) {
            return new Answer(-1, JSON.getNodeFactory().textNode(e.toString()));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(-1, JSON.getNodeFactory().textNode("interrupted"));
        }
    }

    private static String encode(final String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private record Answer(int status, JsonNode body) {
    }

    /** What the answers must say, computed from the topics themselves. */
    private record Truth(Set<String> connectors, Map<String, Long> queuedByConnector, Map<String, String> queued,
                         Map<String, Set<String>> sampleMessages, List<String> deliveredMessages, Map<String, Set<String>> sampleAddresses,
                         Set<String> activeAlertIds, Set<String> allAlertIds) {

        static Truth of(final MailflowConfig config, final Topics topics) {
            final List<ConsumerRecord<String, MessageTrace>> traces = TopicReader.readToEnd(config.kafkaProperties(), topics.traces,
                Duration.ofSeconds(60));
            // each recipient's latest event (a message's events share a partition: offset order is their order)
            final Map<String, MessageTrace> latest = new HashMap<>();
            final Map<String, Set<EventType>> eventsOfMessage = new TreeMap<>();
            final Set<String> connectors = new TreeSet<>();
            for (final ConsumerRecord<String, MessageTrace> r : traces) {
                final MessageTrace t = r.value();
                eventsOfMessage.computeIfAbsent(r.key(), k -> new TreeSet<>()).add(t.getEventType());
                if (t.getConnectorId() != null && !t.getConnectorId().isBlank() && t.getEventType() == EventType.DEFER) {
                    connectors.add(t.getConnectorId());
                }
                if (t.getRecipient() == null || t.getRecipient().isBlank() || t.getEventType() == EventType.RECEIVE) {
                    continue;
                }
                final String key = r.key() + '\u0000' + t.getRecipient().trim().toLowerCase(Locale.ROOT);
                final MessageTrace before = latest.get(key);
                if (before == null || !t.getEventTime().isBefore(before.getEventTime())) {
                    latest.put(key, t);
                }
            }
            final Map<String, String> queued = new TreeMap<>();
            final Map<String, Long> byConnector = new TreeMap<>();
            final Map<String, Set<String>> byMessage = new TreeMap<>();
            final Map<String, Set<String>> byAddress = new TreeMap<>();
            latest.forEach((key, t) -> {
                if (t.getEventType() == EventType.DEFER) {
                    final String connector = t.getConnectorId() == null || t.getConnectorId().isBlank() ? "unknown" : t.getConnectorId();
                    final String message = key.substring(0, key.indexOf('\u0000'));
                    final String address = key.substring(key.indexOf('\u0000') + 1);
                    queued.put(key, connector);
                    byConnector.merge(connector, 1L, Long::sum);
                    byMessage.computeIfAbsent(message, m -> new TreeSet<>()).add(address + "@" + connector);
                    byAddress.computeIfAbsent(address, a -> new TreeSet<>()).add(message);
                }
            });
            final Map<String, Set<String>> sampleMessages = new LinkedHashMap<>();
            byMessage.entrySet().stream().limit(15).forEach(e -> sampleMessages.put(e.getKey(), e.getValue()));
            final Map<String, Set<String>> sampleAddresses = new LinkedHashMap<>();
            byAddress.entrySet().stream().limit(8).forEach(e -> sampleAddresses.put(e.getKey(), e.getValue()));
            final List<String> delivered = eventsOfMessage.entrySet().stream()
                .filter(e -> !e.getValue().contains(EventType.DEFER) && !e.getValue().contains(EventType.FAIL)
                    && e.getValue().contains(EventType.SEND))
                .map(Map.Entry::getKey).limit(5).toList();
            final Set<String> firing = new TreeSet<>();
            final Set<String> all = new TreeSet<>();
            for (final ConsumerRecord<String, ConnectorAlert> r : TopicReader.readToEnd(config.kafkaProperties(), topics.alerts,
                Duration.ofSeconds(60))) {
                all.add(r.value().getAlertId());
                switch (r.value().getState()) {
                    case FIRING -> firing.add(r.value().getAlertId());
                    case RESOLVED -> firing.remove(r.value().getAlertId());
                    default -> { }
                }
            }
            return new Truth(connectors, byConnector, queued, sampleMessages, delivered, sampleAddresses, firing, all);
        }
    }
}
