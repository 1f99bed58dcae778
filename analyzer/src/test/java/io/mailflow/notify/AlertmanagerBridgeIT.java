package io.mailflow.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.mailflow.app.EmbeddedKafka;
import io.mailflow.app.EmbeddedRuntime;
import io.mailflow.app.KafkaReplay;
import io.mailflow.app.Mailflow;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicReader;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An outage replayed into the embedded analyzer, its alerts bridged by {@link AlertBridge} to a
 * real Alertmanager (Debian's prometheus-alertmanager). The firing alert must arrive although
 * Alertmanager was down when it was produced, carry the record's labels, annotations and startsAt,
 * survive a restart of the bridge as one alert with the same start, and leave Alertmanager's
 * active alerts once the analyzer resolves the episode, long before the 4 resend intervals that
 * would expire it; a bridge started after that posts no resolution again.
 */
@DisplayName("mailflow notify: an outage's alerts reach a real Alertmanager, firing then resolved, across restarts and an Alertmanager outage")
class AlertmanagerBridgeIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Active alerts are posted with endsAt = now + 4 × this: an alert that leaves sooner was resolved by the bridge. */
    private static final Duration RESEND = Duration.ofMinutes(1);
    private static final String GROUP = "notify-it";

    @TempDir
    Path work;

    @Test
    void outageFiresThenResolvesInAlertmanager() throws Exception {
        if (!Files.isExecutable(Path.of(AlertmanagerProcess.BINARY))) {
            final String what = AlertmanagerProcess.BINARY + " is not installed";
            if ("true".equals(System.getenv("CI"))) {
                fail(what + "; under CI=true this test must run (deploy/alertmanager/install.sh, pre-integration-test)");
            }
            Assumptions.abort("skipped: " + what);
        }
        // two hours with an outage running to their end (it fires), then an hour without it (it resolves)
        final Path outage = generate("outage", "--seed", "5", "--start", "2026-03-02T08:00:00Z", "--duration", "2h",
            "--outage", "partner-contoso:4.4.316:1h@+1h");
        final Path recovery = generate("recovery", "--seed", "6", "--start", "2026-03-02T10:00:00Z", "--duration", "1h");
        final MailflowConfig base = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://alertmanager-bridge-it")
            .override("application.id", "alertmanager-bridge-it")
            .override("mailflow.queue.wall-clock-safety-net", "false")
            .build();
        final List<RunningBridge> bridges = new java.util.ArrayList<>();
        try (AlertmanagerProcess am = new AlertmanagerProcess(work.resolve("alertmanager"), EmbeddedKafka.freePorts(1)[0]);
             EmbeddedRuntime runtime = EmbeddedRuntime.start(base)) {
            try {
                // 1. the bridge runs, Alertmanager is down while the analyzer fires
                final RunningBridge first = RunningBridge.start(runtime.config(), am.url(), bridges);
                replay(runtime, outage);
                final ConnectorAlert firing = awaitRecord(runtime, a -> a.getType() == AlertType.CONNECTOR_FAILURE
                    && a.getState() == AlertState.FIRING, "the analyzer fires on the outage");
                final Map<String, String> labels = firing.getLabels();
                assertEquals("MailflowConnectorFailure", labels.get("alertname"));
                await(() -> first.count("mailflow.notify.posts", "result", "failed") >= 1, "the bridge tried and failed while Alertmanager was down");
                assertEquals(0, first.count("mailflow.notify.posts", "result", "ok"));
                am.start();
                final JsonNode shown = await(() -> find(am, labels), "the alert arrives once Alertmanager is up, after the back-off");

                // what Alertmanager shows is the episode's latest record
                final ConnectorAlert latest = latestOf(runtime, firing.getAlertId());
                assertEquals(labels, toMap(shown.get("labels")), "labels: exactly the record's identifying labels");
                final JsonNode annotations = shown.get("annotations");
                assertEquals(latest.getSummary(), annotations.get("summary").asText());
                assertEquals(latest.getRemediation(), annotations.get("description").asText());
                assertEquals(latest.getLastError(), annotations.get("last_error").asText());
                assertEquals("https://wiki.example/mailflow/4.4.316", annotations.get("runbook_url").asText());
                assertEquals(firing.getAlertId(), annotations.get("alert_id").asText());
                assertEquals(firing.getStartsAt(), Instant.parse(shown.get("startsAt").asText()), "startsAt: the first failure");
                assertEquals(firing.getFirstFailureTime(), firing.getStartsAt());
                assertTrue(Instant.parse(shown.get("endsAt").asText()).isAfter(Instant.now().plus(RESEND.multipliedBy(3))),
                    "active for 4 resend intervals: " + shown);
                assertEquals("active", shown.get("status").get("state").asText());

                // 2. a restarted bridge rebuilds the episode from the topic and posts it again: one alert, same start
                final Instant updatedBefore = Instant.parse(shown.get("updatedAt").asText());
                first.close();
                final RunningBridge second = RunningBridge.start(runtime.config(), am.url(), bridges);
                await(() -> second.bridge.health().equals("RUNNING") ? true : null, "the restarted bridge rebuilt and posted");
                final JsonNode again = find(am, labels);
                assertNotNull(again, "the alert is still active after the bridge's restart");
                assertEquals(1, am.alerts().stream().filter(a -> toMap(a.get("labels")).equals(labels)).count(), "one alert, no duplicate");
                assertEquals(firing.getStartsAt(), Instant.parse(again.get("startsAt").asText()));
                assertTrue(Instant.parse(again.get("updatedAt").asText()).isAfter(updatedBefore), "re-posted by the restarted bridge");
                assertEquals(0, second.count("mailflow.notify.alerts", "status", "resolved"));

                // 3. the analyzer resolves the episode: Alertmanager no longer lists it as active
                replay(runtime, recovery);
                final ConnectorAlert resolved = awaitRecord(runtime, a -> a.getAlertId().equals(firing.getAlertId())
                    && a.getState() == AlertState.RESOLVED, "the analyzer resolves the episode");
                assertEquals(resolved.getEventTime(), resolved.getEndsAt());
                assertEquals(firing.getStartsAt(), resolved.getStartsAt());
                assertEquals(labels, resolved.getLabels(), "the same labels, so Alertmanager resolves the same alert");
                await(() -> find(am, labels) == null ? true : null, "the resolved alert leaves Alertmanager's active alerts");
                assertEquals(1, second.count("mailflow.notify.alerts", "status", "resolved"));
                second.close();

                // 4. a bridge started after the resolution was delivered does not post it again,
                //    and a record that is no alert at all is counted and skipped, not fatal
                try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
                    Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, runtime.bootstrapServers()), new StringSerializer(),
                    new ByteArraySerializer())) {
                    producer.send(new ProducerRecord<>(runtime.topics().alerts.name(), "garbage", "not avro".getBytes())).get();
                }
                final RunningBridge third = RunningBridge.start(runtime.config(), am.url(), bridges);
                await(() -> third.bridge.health().equals("RUNNING") ? true : null, "the third bridge rebuilt");
                assertEquals(1, third.count("mailflow.notify.bad.records", null, null), "the garbage record is counted");
                assertEquals(0, third.count("mailflow.notify.alerts", "status", "resolved"), "the committed offset says it was delivered");
                assertEquals(null, find(am, labels));
            } finally {
                for (final RunningBridge b : bridges) {
                    b.close();
                }
            }
        }
    }

    private Path generate(final String name, final String... scenario) throws Exception {
        final Path dir = Files.createDirectories(work.resolve(name));
        final List<String> args = new java.util.ArrayList<>(List.of("generate", "--format", "jsonl", "--servers", "EX01",
            "--connectors", "partner-contoso:1,internet:3", "--quiet", "--out", dir.toString()));
        args.addAll(List.of(scenario));
        assertEquals(0, Mailflow.execute(args.toArray(String[]::new)), "mailflow generate " + String.join(" ", scenario));
        return dir;
    }

    private static void replay(final EmbeddedRuntime runtime, final Path logs) throws Exception {
        KafkaReplay.replay(runtime.config(), runtime.topics(), List.of(logs), ReplayOptions.defaults());
        runtime.awaitComplete(Duration.ZERO, Duration.ofMinutes(3));
    }

    private static List<ConnectorAlert> alerts(final EmbeddedRuntime runtime) {
        return TopicReader.readToEnd(runtime.config().kafkaProperties(), runtime.topics().alerts, Duration.ofSeconds(30)).stream()
            .map(ConsumerRecord::value).toList();
    }

    private static ConnectorAlert awaitRecord(final EmbeddedRuntime runtime, final java.util.function.Predicate<ConnectorAlert> which,
                                              final String what) throws Exception {
        return await(() -> alerts(runtime).stream().filter(which).findFirst().orElse(null), what);
    }

    private static ConnectorAlert latestOf(final EmbeddedRuntime runtime, final String alertId) {
        final List<ConnectorAlert> episode = alerts(runtime).stream().filter(a -> a.getAlertId().equals(alertId)).toList();
        return episode.get(episode.size() - 1);
    }

    private static JsonNode find(final AlertmanagerProcess am, final Map<String, String> labels) throws Exception {
        return am.alerts().stream().filter(a -> toMap(a.get("labels")).equals(labels)).findFirst().orElse(null);
    }

    private static Map<String, String> toMap(final JsonNode object) {
        final Map<String, String> map = new HashMap<>();
        object.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }

    /** Polls until {@code probe} gives a non-null value; fails naming {@code what} after {@link #WAIT}. */
    private static <T> T await(final Callable<T> probe, final String what) throws Exception {
        final long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            final T value = probe.call();
            if (value != null && !Boolean.FALSE.equals(value)) {
                return value;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not within " + WAIT + ": " + what);
    }

    /** A bridge on its own thread, as `mailflow notify` runs it, with its own meters. */
    private static final class RunningBridge implements AutoCloseable {
        final AlertBridge bridge;
        final SimpleMeterRegistry registry;
        final Thread thread;

        private RunningBridge(final AlertBridge bridge, final SimpleMeterRegistry registry, final Thread thread) {
            this.bridge = bridge;
            this.registry = registry;
            this.thread = thread;
        }

        static RunningBridge start(final MailflowConfig config, final String alertmanager, final List<RunningBridge> started) {
            final SimpleMeterRegistry registry = new SimpleMeterRegistry();
            final AlertBridge bridge = new AlertBridge(config.kafkaProperties(), new Topics(config).alerts.valueSerde().deserializer(),
                new AlertmanagerClient(List.of(alertmanager), AlertmanagerClient.Auth.none()),
                new AlertBridge.Options(config.get("mailflow.topic.alerts"), GROUP, RESEND,
                    new AlertLinks("https://wiki.example/mailflow/{code}", "https://grafana.example/d/mailflow?var-connector={connector}")),
                registry, Clock.systemUTC());
            final Thread thread = new Thread(() -> {
                try {
                    bridge.run();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "alert-bridge");
            thread.start();
            final RunningBridge running = new RunningBridge(bridge, registry, thread);
            started.add(running);
            return running;
        }

        double count(final String name, final String tag, final String value) {
            final Counter c = tag == null ? registry.find(name).counter() : registry.find(name).tag(tag, value).counter();
            return c == null ? 0 : c.count();
        }

        private boolean closed;

        @Override
        public void close() throws InterruptedException {
            if (closed) {
                return;
            }
            closed = true;
            bridge.stop();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            bridge.close();
        }
    }
}
