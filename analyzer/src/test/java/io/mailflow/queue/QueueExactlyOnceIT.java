package io.mailflow.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.app.EmbeddedKafka;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.MessageKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once on a real broker: the same traces through an uninterrupted run and through a run
 * that is killed with SIGKILL mid-stream and restarted must give the same NDRs and delay notices,
 * read with isolation.level=read_committed: none lost, none twice.
 */
class QueueExactlyOnceIT {
    private static final int PARTITIONS = 3;
    private static final int MESSAGES = 600;
    private static final Duration DONE_TIMEOUT = Duration.ofMinutes(4);

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();
    /** End offsets of the NDR topic as read_committed (its last stable offset) and read_uncommitted (its high watermark). */
    private KafkaConsumer<byte[], byte[]> committedReader;
    private KafkaConsumer<byte[], byte[]> uncommittedReader;

    @org.junit.jupiter.api.AfterEach
    void stopApps() throws InterruptedException {
        for (final Process p : started) {
            p.destroyForcibly().waitFor();
        }
        if (committedReader != null) {
            committedReader.close();
            uncommittedReader.close();
        }
    }

    @Test
    @DisplayName("a run killed mid-stream and restarted emits exactly the NDRs and delay notices of an uninterrupted run")
    void killAndRestartLosesNothingAndDuplicatesNothing() throws Exception {
        QueueEosApp.seedRegistry();
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            final String bootstrap = kafka.bootstrapServers();
            final List<NewTopic> topics = new ArrayList<>();
            topics.add(new NewTopic(QueueEosApp.TRACES, PARTITIONS, (short) 1));
            for (final String run : List.of("a", "b")) {
                topics.add(new NewTopic(run + ".ndr", 1, (short) 1));
                topics.add(new NewTopic(run + ".delays", 1, (short) 1));
                topics.add(new NewTopic("queue-eos-" + run + ".snapshots", 1, (short) 1));
            }
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
            final int input = produceScenario(bootstrap);

            // run A: uninterrupted
            final Process a = startApp(bootstrap, "queue-eos-a", "a");
            awaitCommitted(admin, "queue-eos-a", input, a);
            a.destroyForcibly().waitFor();

            // run B: killed with SIGKILL after a third of the input is committed, at a moment when an
            // open transaction holds NDRs (commits every 2 s; paced at 1 ms a record, so the input
            // spans several transactions), then restarted
            final long atKill = killDuringAnOpenTransaction(admin, bootstrap, input);
            assertTrue(atKill < input, "killed mid-stream (" + atKill + " of " + input + " committed)");
            final Process b2 = startApp(bootstrap, "queue-eos-b", "b");
            awaitCommitted(admin, "queue-eos-b", input, b2);
            b2.destroyForcibly().waitFor();

            final Topics serdes = new Topics(QueueEosApp.config(bootstrap, "reader", "a.ndr", "a.delays"));
            final List<NonDeliveryReport> ndrA = readCommitted(bootstrap, "a.ndr", serdes, NonDeliveryReport.class);
            final List<NonDeliveryReport> ndrB = readCommitted(bootstrap, "b.ndr", serdes, NonDeliveryReport.class);
            final List<DelayNotice> delayA = readCommitted(bootstrap, "a.delays", serdes, DelayNotice.class);
            final List<DelayNotice> delayB = readCommitted(bootstrap, "b.delays", serdes, DelayNotice.class);

            // what the killed run wrote and never committed is still in the log, marked aborted
            final int ndrBUncommitted = read(bootstrap, "b.ndr", serdes, NonDeliveryReport.class, "read_uncommitted").size();
            System.out.printf("input %d records; run B killed with %d committed; NDRs %d/%d (%d in B's log incl. aborted),"
                    + " delay notices %d/%d (A/B)%n",
                input, atKill, ndrA.size(), ndrB.size(), ndrBUncommitted, delayA.size(), delayB.size());
            // the scenario's own arithmetic (see produceScenario), per 5 messages:
            // NDRs 2 expired + 1 FAIL + 2 rejected SEND; delay notices 2 delivered-after-6h + 2 expiring
            assertEquals(MESSAGES, ndrA.size(), "uninterrupted run: NDRs");
            assertEquals(MESSAGES * 4 / 5, delayA.size(), "uninterrupted run: delay notices");
            assertNoDuplicates(ndrB.stream().map(n -> n.getNetworkMessageId() + "/" + n.getFinalRecipient()).toList(), "NDR");
            assertNoDuplicates(delayB.stream().map(n -> n.getNetworkMessageId() + "/" + n.getFinalRecipient()).toList(), "delay notice");
            assertTrue(ndrBUncommitted > ndrB.size(), "the kill aborted a transaction that held NDRs");
            assertEquals(sorted(ndrA), sorted(ndrB), "killed and restarted run: the same NDRs");
            assertEquals(sorted(delayA), sorted(delayB), "killed and restarted run: the same delay notices");
        }
    }

    /**
     * Every fifth message, two recipients each, RECEIVE every 2 minutes over 20 hours:
     * 0 delivered at once; 1 deferred every 30 min, delivered at 6 h; 2 deferred every 30 min
     * until expiry; 3 deferred twice, then FAIL for one recipient and delivery for the other;
     * 4 rejected with 550 5.7.1 and a FAIL twin. A last record per partition at 60 h lets every
     * deadline come due. Produced in event-time order. Returns the number of records.
     */
    private static int produceScenario(final String bootstrap) throws Exception {
        final List<MessageTrace> events = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            final String msg = "<eos" + i + "@fabrikam.example>";
            final Duration received = Duration.ofMinutes(2L * i);
            for (final String rcpt : List.of("x" + i + "@contoso.example", "y" + i + "@contoso.example")) {
                events.add(QueueTrackingFixture.receive(msg, rcpt, received));
                switch (i % 5) {
                    case 0 -> events.add(QueueTrackingFixture.delivered(msg, rcpt, received.plusSeconds(5)));
                    case 1 -> {
                        for (int m = 1; m < 360; m += 30) {
                            events.add(QueueTrackingFixture.defer(msg, rcpt, received.plusMinutes(m)));
                        }
                        events.add(QueueTrackingFixture.delivered(msg, rcpt, received.plusHours(6)));
                    }
                    case 2 -> {
                        for (int m = 1; m < 24 * 60; m += 30) {
                            events.add(QueueTrackingFixture.defer(msg, rcpt, received.plusMinutes(m)));
                        }
                    }
                    case 3 -> {
                        events.add(QueueTrackingFixture.defer(msg, rcpt, received.plusMinutes(1)));
                        events.add(QueueTrackingFixture.defer(msg, rcpt, received.plusMinutes(31)));
                        events.add(rcpt.startsWith("x")
                            ? QueueTrackingFixture.failed(msg, rcpt, received.plusMinutes(61))
                            : QueueTrackingFixture.delivered(msg, rcpt, received.plusMinutes(61)));
                    }
                    default -> {
                        events.add(QueueTrackingFixture.trace(EventType.SEND, msg, rcpt, received.plusSeconds(3))
                            .setSmtpReply("550").setStatusCode("5.7.1").setResponseText("550 5.7.1 Relaying denied").build());
                        events.add(QueueTrackingFixture.failed(msg, rcpt, received.plusSeconds(4)));
                    }
                }
            }
        }
        events.sort(Comparator.comparing(MessageTrace::getEventTime));
        // the broker refuses timestamps more than an hour ahead of its clock: replay the scenario
        // as if it had happened in the last few days
        final Duration back = Duration.between(Instant.now().minus(Duration.ofDays(4)), QueueTrackingFixture.T0);
        final List<MessageTrace> shifted = new ArrayList<>(events.size());
        for (final MessageTrace t : events) {
            shifted.add(MessageTrace.newBuilder(t).setEventTime(t.getEventTime().minus(back)).build());
        }
        final Topics topics = new Topics(QueueEosApp.config(bootstrap, "producer", "a.ndr", "a.delays"));
        try (KafkaProducer<String, MessageTrace> producer = new KafkaProducer<>(
            Map.of("bootstrap.servers", bootstrap, "acks", "all"), Serdes.String().serializer(), topics.traces.valueSerde().serializer())) {
            final List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (final MessageTrace t : shifted) {
                sent.add(producer.send(new ProducerRecord<>(QueueEosApp.TRACES, null, t.getEventTime().toEpochMilli(), MessageKeys.of(t), t)));
            }
            for (int p = 0; p < PARTITIONS; p++) {
                final MessageTrace clock = MessageTrace.newBuilder(
                    QueueTrackingFixture.receive("<clock" + p + "@test>", "c@test", Duration.ofHours(60)))
                    .setEventTime(QueueTrackingFixture.at(Duration.ofHours(60)).minus(back)).build();
                sent.add(producer.send(new ProducerRecord<>(QueueEosApp.TRACES, p, clock.getEventTime().toEpochMilli(), MessageKeys.of(clock), clock)));
            }
            producer.flush();
            for (final Future<RecordMetadata> f : sent) {
                f.get(); // a refused record must fail the test here, not as a timeout later
            }
        }
        return events.size() + PARTITIONS;
    }

    private Process startApp(final String bootstrap, final String appId, final String run, final String... more) throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-XX:TieredStopAtLevel=1", // C1 only: see ClusterInstances.start
            "-Dlog4j2.configurationFile=" + QueueExactlyOnceIT.class.getResource("/log4j2-eos-app.xml"), "-cp", System.getProperty("java.class.path"),
            QueueEosApp.class.getName(), bootstrap, appId, dir.resolve("state-" + appId).toString(), run + ".ndr", run + ".delays"));
        command.addAll(List.of(more));
        final ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logOf(appId).toFile()));
        final Process process = pb.start();
        started.add(process);
        return process;
    }

    /**
     * Runs B paced and SIGKILLs it once a third of the input is committed, at a moment when an open
     * transaction holds NDRs. The transaction may commit between seeing it open and the kill landing
     * (a few milliseconds of a 2-second commit interval): then the kill proved nothing about aborts,
     * and B is started and killed again. Returns the committed input offsets at the kill.
     */
    private long killDuringAnOpenTransaction(final Admin admin, final String bootstrap, final int input) throws Exception {
        for (int attempt = 1; attempt <= 5; attempt++) {
            final Process b = startApp(bootstrap, "queue-eos-b", "b", "2000", "1");
            final long atKill = awaitCommitted(admin, "queue-eos-b", input / 3, b);
            awaitOpenTransactionWithRecords(bootstrap, "b.ndr", b);
            b.destroyForcibly().waitFor();
            // nobody can commit or abort it now until the broker's transaction timeout: still open?
            if (openTransactionWithRecords(bootstrap, "b.ndr")) {
                return atKill;
            }
            System.out.printf("kill attempt %d: the transaction committed before the kill landed; again%n", attempt);
        }
        throw new AssertionError("five kills in a row missed an open transaction");
    }

    /** Waits until the topic has records past its last stable offset: an open transaction wrote to it. */
    private void awaitOpenTransactionWithRecords(final String bootstrap, final String topic, final Process app) {
        final long deadline = System.nanoTime() + DONE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(app.isAlive(), () -> "the app died on its own; its log ends:\n" + tail(logOf("queue-eos-b")));
            if (openTransactionWithRecords(bootstrap, topic)) {
                return;
            }
        }
        throw new AssertionError("no open transaction with records on " + topic + " within " + DONE_TIMEOUT);
    }

    private boolean openTransactionWithRecords(final String bootstrap, final String topic) {
        final TopicPartition tp = new TopicPartition(topic, 0);
        if (committedReader == null) {
            committedReader = consumer(bootstrap, "read_committed");
            uncommittedReader = consumer(bootstrap, "read_uncommitted");
        }
        final long stable = committedReader.endOffsets(List.of(tp)).get(tp);
        final long high = uncommittedReader.endOffsets(List.of(tp)).get(tp);
        return high > stable;
    }

    /** The app's log, kept under target/ after the test so a failure can be read. */
    private static Path logOf(final String appId) {
        final Path logs = Path.of("target", "queue-eos-it");
        try {
            java.nio.file.Files.createDirectories(logs);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return logs.resolve(appId + ".log");
    }

    private static String tail(final Path log) {
        try {
            final List<String> lines = java.nio.file.Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (final java.io.IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(final String bootstrap, final String isolation) {
        return new KafkaConsumer<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Waits until the group has committed at least {@code atLeast} input offsets; returns how many. */
    private long awaitCommitted(final Admin admin, final String group, final long atLeast, final Process app) throws Exception {
        final long deadline = System.nanoTime() + DONE_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(app.isAlive(), () -> "the app died on its own; its log ends:\n" + tail(logOf(group)));
            final Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            final long sum = committed.entrySet().stream()
                .filter(e -> e.getKey().topic().equals(QueueEosApp.TRACES) && e.getValue() != null)
                .mapToLong(e -> e.getValue().offset()).sum();
            if (sum >= atLeast) {
                return sum;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("group " + group + " did not commit " + atLeast + " offsets in " + DONE_TIMEOUT);
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> List<T> readCommitted(
        final String bootstrap, final String topic, final Topics serdes, final Class<T> type) {
        return read(bootstrap, topic, serdes, type, "read_committed");
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> List<T> read(
        final String bootstrap, final String topic, final Topics serdes, final Class<T> type, final String isolation) {
        final org.apache.kafka.common.serialization.Deserializer<T> values = serdes.avro(type).deserializer();
        final List<T> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap, isolation)) {
            final TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            final long end = consumer.endOffsets(List.of(tp)).get(tp); // the last stable offset under read_committed
            final long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (final ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.add(values.deserialize(topic, r.value()));
                }
            }
        }
        return out;
    }

    private static void assertNoDuplicates(final List<String> keys, final String what) {
        final Set<String> seen = new HashSet<>();
        final List<String> twice = keys.stream().filter(k -> !seen.add(k)).toList();
        assertEquals(List.of(), twice, what + "s emitted twice");
    }

    private static List<String> sorted(final List<?> records) {
        return records.stream().map(Object::toString).sorted().collect(Collectors.toList());
    }
}
