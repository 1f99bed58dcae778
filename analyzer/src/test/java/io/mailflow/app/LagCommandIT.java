package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.ReplayOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mailflow lag} on a real broker: history replayed into the cluster is counted as the
 * analyzer's lag until a running analyzer has processed it, traces and repartitioned records
 * alike; {@code --wait} returns as soon as it has.
 */
class LagCommandIT {
    private static final String APP = "lag-command-it";

    @Test
    @DisplayName("replayed traces are lag until the analyzer has processed them; --wait returns once it has, exit 0")
    void lagUntilTheAnalyzerHasCaughtUp(@TempDir final Path dir) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0, dir.resolve("kafka"), Map.of());
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            final Path logs = ClusterInstances.generate(Files.createDirectories(dir.resolve("logs")), "generate", "--seed", "3",
                "--duration", "20m", "--format", "exchange", "--servers", "EX01", "--outage", "internet:4.4.316:10m@+5m");
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", "mock://" + APP)
                .override("application.id", APP)
                .override("state.dir", dir.resolve("state").toString())
                .override("mailflow.topic.partitions", "2")
                .override("mailflow.topic.retention", "infinite")
                .build();
            final Topics topics = new Topics(config);
            TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            final long sent = KafkaReplay.replay(config, topics, List.of(logs), ReplayOptions.defaults()).records();
            assertTrue(sent > 1_000, "the replay sent traces: " + sent);
            final long traces = endOffsets(admin, topics.traces.name());
            assertTrue(traces >= sent, traces + " records in the traces topic for " + sent + " sent");

            // nothing analysed yet: every trace is lag, exit 1
            final Result before = lag(kafka, "--total");
            assertEquals(ExitCodes.RUNTIME_FAILURE, before.exit(), before.err());
            assertEquals(String.valueOf(traces), before.out().trim());
            final Result table = lag(kafka);
            assertEquals(ExitCodes.RUNTIME_FAILURE, table.exit(), table.err());
            assertEquals(traces, lagOf(table.out(), "mailflow.traces"), table.out());
            assertTrue(table.out().contains(APP + ": " + String.format("%,d", traces) + " records behind"), table.out());

            final Analyzer analyzer = new Analyzer(config);
            try {
                analyzer.start();
                final Result waited = lag(kafka, "--wait", "--timeout", "3m");
                assertEquals(ExitCodes.OK, waited.exit(), waited.out() + waited.err());
                assertTrue(waited.out().contains(APP + ": caught up"), waited.out());
                assertEquals(0, lagOf(waited.out(), "mailflow.traces"), waited.out());
                // the connector-keyed stages' input counts too, and was written to by the analysis
                final Matcher repartition = Pattern.compile("(?m)^" + APP + "-connector-signals-repartition\\s+([\\d,]+)\\s+([\\d,]+)\\s+0$")
                    .matcher(waited.out());
                assertTrue(repartition.find(), waited.out());
                assertTrue(Long.parseLong(repartition.group(1).replace(",", "")) > 0, waited.out());
                assertEquals(traces, committed(admin, topics.traces.name()), "the analyzer had processed every trace when --wait returned");
            } finally {
                analyzer.close(Duration.ofSeconds(30));
            }
        }
    }

    private record Result(int exit, String out, String err) {
    }

    private static Result lag(final EmbeddedKafka kafka, final String... more) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final List<String> args = new java.util.ArrayList<>(List.of("lag", "-b", kafka.bootstrapServers(), "--application-id", APP));
        args.addAll(List.of(more));
        final int exit = Mailflow.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
            .execute(args.toArray(String[]::new));
        return new Result(exit, out.toString(), err.toString());
    }

    /** The LAG column of a topic's row. */
    private static long lagOf(final String table, final String topic) {
        final Matcher m = Pattern.compile("(?m)^" + Pattern.quote(topic) + "\\s+[\\d,]+\\s+[\\d,]+\\s+([\\d,]+)$").matcher(table);
        assertTrue(m.find(), "a row for " + topic + ":\n" + table);
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    /** What the broker says apart from the command: the topic's records (read committed). */
    private static long endOffsets(final Admin admin, final String topic) throws Exception {
        final Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
            .forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        return admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS)
            .values().stream().mapToLong(ListOffsetsResult.ListOffsetsResultInfo::offset).sum();
    }

    /** ... and the group's committed offsets in the topic. */
    private static long committed(final Admin admin, final String topic) throws Exception {
        return admin.listConsumerGroupOffsets(APP).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).entrySet().stream()
            .filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null).mapToLong(e -> e.getValue().offset()).sum();
    }
}
