package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.app.EmbeddedKafka;
import io.mailflow.app.KafkaReplay;
import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.TopicReader;
import io.mailflow.emit.Topics;
import io.mailflow.serde.MockSchemaRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several trace files, replayed by the production path ({@link KafkaReplay}: Replayer, KafkaTraceSink,
 * real producers) into a real broker whose traces topic has three partitions, then read back.
 *
 * <p>The inputs are written here, line by line, each line tagged with what a user expects of it:
 * so many trace records, a counted skip (not a trace event), or a dead letter. The expectations
 * below come from those tags, and independently from the parsers' own output for the same files.
 * The files overlap in time and one message travels across two Exchange servers and a JSON export,
 * so per-message order holds only if the replay really merges by event time.
 */
@DisplayName("replay into a real broker: every valid record once, per message on one partition in event-time order, bad lines dead-lettered")
class ReplayToBrokerIT {
    private static final String REGISTRY_SCOPE = "replay-to-broker-it";
    private static final int PARTITIONS = 3;

    /** Exchange 2016/2019 column order. */
    private static final String FIELDS = "#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
            + "connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,"
            + "total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,"
            + "message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,"
            + "log-id,schema-version";

    // network-message-ids: Exchange keys every event of a message by it, across servers
    private static final String INBOUND = "5f1c2a9e-0b7d-4d39-9a51-08dc3a9f0001";
    private static final String OUTBOUND = "7a2d3b0f-1c8e-4e4a-8b62-08dc3a9f0002";
    private static final String DEFERRED = "9b3e4c1a-2d9f-4f5b-9c73-08dc3a9f0003";

    @TempDir
    static Path dir;

    private static List<Log> LOGS;
    private static ReplaySummary summary;
    private static List<MessageTrace> parsed;
    private static List<ConsumerRecord<String, MessageTrace>> traces;
    private static List<ConsumerRecord<String, DeadLetter>> deadLetters;
    /** Every record of the traces topic as stored, progress markers included. */
    private static List<ConsumerRecord<byte[], byte[]>> rawTraces;

    @BeforeAll
    static void replayIntoBroker() throws Exception {
        LOGS = List.of(hubServer(), edgeServer(), postfix(), jsonLines());
        final List<Path> inputs = new ArrayList<>();
        for (final Log log : LOGS) {
            inputs.add(log.write());
        }
        // what the parsers make of the same files, without Kafka: the reference for "every record once"
        parsed = Fixtures.replay(Fixtures.options(), inputs.toArray(Path[]::new)).sink().traces();

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            final MailflowConfig config = MailflowConfig.builder().defaults()
                    .override("bootstrap.servers", kafka.bootstrapServers())
                    .override("schema.registry.url", "mock://" + REGISTRY_SCOPE)
                    .override("mailflow.topic.partitions", String.valueOf(PARTITIONS))
                    // retention runs on record timestamps, which are the 2024 event times of the logs
                    .override("mailflow.topic.retention", "infinite")
                    .build();
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            }
            final Topics topics = new Topics(config);
            summary = KafkaReplay.replay(config, topics, inputs, Fixtures.options());
            traces = TopicReader.readToEnd(config.kafkaProperties(), topics.traces, Duration.ofSeconds(30));
            deadLetters = TopicReader.readToEnd(config.kafkaProperties(), topics.deadLetters, Duration.ofSeconds(30));
            rawTraces = readRaw(config.kafkaProperties(), topics.traces.name());
        }
    }

    /** The topic as stored, records without a value included (TopicReader leaves those out). */
    private static List<ConsumerRecord<byte[], byte[]>> readRaw(final Map<String, Object> kafkaProperties, final String topic) {
        final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(kafkaProperties, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            final Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            final long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    @AfterAll
    static void dropRegistry() {
        MockSchemaRegistry.dropScope(REGISTRY_SCOPE);
    }

    @Test
    @DisplayName("every valid record arrives exactly once: as many as the lines promise, the same ones the parsers produce")
    void everyValidRecordExactlyOnce() {
        final long promised = LOGS.stream().mapToLong(Log::records).sum();
        assertEquals(promised, traces.size(), "records on the traces topic");
        assertEquals(promised, summary.records(), "records in the replay summary");
        assertEquals(0, summary.sinkFailures());

        // one record per (file, line, recipient): a duplicate or a loss shows up here by name
        final Map<String, Long> perLineAndRecipient = traces.stream()
                .collect(Collectors.groupingBy(r -> where(r.value()), TreeMap::new, Collectors.counting()));
        final Map<String, Long> duplicates = new TreeMap<>(perLineAndRecipient);
        duplicates.values().removeIf(n -> n == 1);
        assertEquals(Map.of(), duplicates, "records that arrived more than once");

        final Map<String, Long> linesWithRecords = traces.stream()
                .collect(Collectors.groupingBy(r -> r.value().getProvenance().getFile() + ":" + r.value().getProvenance().getLine(),
                        TreeMap::new, Collectors.counting()));
        final Map<String, Long> promisedLines = new TreeMap<>();
        LOGS.forEach(log -> log.recordsByLine().forEach((line, n) -> promisedLines.put(log.source(line), (long) n)));
        assertEquals(promisedLines, linesWithRecords, "records per input line");

        assertEquals(counts(parsed, Function.identity()), counts(traces, ConsumerRecord::value),
                "the broker holds exactly the records the parsers produce from the same files");
    }

    @Test
    @DisplayName("every partition ends with a progress marker at the last event time: no key, no value, the time in its header")
    void everyPartitionEndsWithAProgressMarker() {
        traces.forEach(r -> assertEquals(r.partition(), KafkaTraceSink.partitionOf(r.key(), PARTITIONS),
                "the sink places " + r.key() + " where the producer did"));
        final long lastEventTime = parsed.stream().mapToLong(t -> t.getEventTime().toEpochMilli()).max().orElseThrow();
        for (int p = 0; p < PARTITIONS; p++) {
            final int partition = p;
            final ConsumerRecord<byte[], byte[]> last = rawTraces.stream().filter(r -> r.partition() == partition)
                    .reduce((a, b) -> b).orElseThrow();
            assertEquals(null, last.key(), "partition " + p);
            assertEquals(null, last.value(), "partition " + p);
            assertEquals(lastEventTime, last.timestamp(), "partition " + p);
            assertEquals(Long.toString(lastEventTime), new String(
                    last.headers().lastHeader(KafkaTraceSink.PROGRESS_HEADER).value(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    @DisplayName("all events of one message land on one partition, in non-decreasing event time, across servers and formats")
    void oneMessageOnePartitionInEventTimeOrder() {
        final Map<String, Set<Integer>> partitionsByKey = new TreeMap<>();
        traces.forEach(r -> partitionsByKey.computeIfAbsent(r.key(), k -> new TreeSet<>()).add(r.partition()));
        partitionsByKey.forEach((key, partitions) -> assertEquals(1, partitions.size(), key + " is on partitions " + partitions));
        final Set<Integer> used = traces.stream().map(ConsumerRecord::partition).collect(Collectors.toSet());
        assertTrue(used.size() > 1, "the messages spread over several partitions (else this check proves little): " + used);

        // offset order within a partition is the order a consumer sees
        final Map<String, Long> lastTimeByKey = new HashMap<>();
        traces.stream()
                .sorted((a, b) -> a.partition() != b.partition() ? Integer.compare(a.partition(), b.partition())
                        : Long.compare(a.offset(), b.offset()))
                .forEach(r -> {
                    final long time = r.value().getEventTime().toEpochMilli();
                    final Long before = lastTimeByKey.put(r.key(), time);
                    assertTrue(before == null || before <= time, r.key() + " went back in time at " + where(r.value()));
                });

        // the message that crossed the edge, the hub and the JSON export is one key with all five events
        assertEquals(List.of(edge("RECEIVE"), edge("SEND"), hub("RECEIVE"), hub("DELIVER"), "jsonl DSN"),
                eventsOf(INBOUND), "the inbound message's events, in the order its consumer reads them");
        assertEquals(List.of(hub("RECEIVE"), hub("RECEIVE"), hub("SEND"), hub("SEND")), eventsOf(OUTBOUND),
                "one line per event, one record per recipient");
        // Postfix delivery lines carry only the queue id: the Message-ID comes from the cleanup line
        assertEquals(List.of("postfix SEND", "postfix DEFER", "postfix DELIVER"), eventsOf("<p1.20240302@example.net>"));
        assertEquals(List.of("postfix FAIL"), eventsOf("<p2.20240302@example.org>"));
    }

    @Test
    @DisplayName("the record timestamp is the event time, so the analyzer's windows see the original timeline")
    void recordTimestampIsEventTime() {
        for (final ConsumerRecord<String, MessageTrace> r : traces) {
            assertEquals(TimestampType.CREATE_TIME, r.timestampType());
            assertEquals(r.value().getEventTime().toEpochMilli(), r.timestamp(), where(r.value()));
            assertEquals(MessageKeys.of(r.value()), r.key(), where(r.value()));
        }
    }

    @Test
    @DisplayName("every malformed line is a dead letter with its file, line number, reason and raw text, and nothing else is")
    void malformedLinesAreDeadLettered() {
        final Map<String, Log.Line> expected = new TreeMap<>();
        LOGS.forEach(log -> log.malformed().forEach((number, line) -> expected.put(log.source(number), line)));
        final Map<String, DeadLetter> actual = new TreeMap<>();
        deadLetters.forEach(r -> actual.put(r.value().getSource(), r.value()));
        assertEquals(expected.keySet(), actual.keySet(), "dead-lettered lines (file:line)");
        assertEquals(expected.size(), deadLetters.size(), "each malformed line once");
        assertEquals(expected.size(), summary.rejected(), "rejected lines in the replay summary");

        expected.forEach((source, line) -> {
            final DeadLetter letter = actual.get(source);
            assertEquals(line.text(), letter.getRaw(), source);
            assertEquals("parse", letter.getStage(), source);
            assertTrue(letter.getReason().contains(line.reason()),
                    source + ": reason '" + letter.getReason() + "' should say '" + line.reason() + "'");
        });
        deadLetters.forEach(r -> assertEquals(r.value().getSource(), r.key(), "dead letters are keyed by their source"));
    }

    @Test
    @DisplayName("lines that are not trace events (headers, context, TLS, anvil, AGENTINFO) are counted as skipped, never dead-lettered")
    void nonTraceLinesAreSkippedNotDeadLettered() {
        final long promised = LOGS.stream().mapToLong(log -> log.skipped().size()).sum();
        assertEquals(promised, summary.skipped(), "skipped lines in the replay summary: " + summary.skippedByReason());
        assertEquals(1L, summary.skippedByReason().get("anvil"));
        assertEquals(1L, summary.skippedByReason().get("TLS"));
        assertEquals(1L, summary.skippedByReason().get("exchange event AGENTINFO (not a delivery event)"));
        assertEquals(10L, summary.skippedByReason().get("header line"), "five header lines in each Exchange log");

        final Set<String> deadLettered = deadLetters.stream().map(r -> r.value().getSource()).collect(Collectors.toSet());
        for (final Log log : LOGS) {
            for (final long number : log.skipped().keySet()) {
                assertTrue(!deadLettered.contains(log.source(number)), log.source(number) + " is not a trace event, not an error");
            }
        }
    }

    // ---- the input files ----

    /** EX01, the hub: a message to two recipients, and the inbound message after the edge relayed it. */
    private static Log hubServer() {
        final Log log = new Log("EX01/MSGTRK2024030210-1.LOG", "\r\n").bom().exchangeHeader();
        log.records(2, msgtrk("2024-03-02T10:00:00.000Z", "EX01", "RECEIVE", "EX01\\Default EX01", "1002", OUTBOUND,
                "carol@fabrikam.com;dave@fabrikam.com", "", "Invoice 4711"));
        log.records(1, msgtrk("2024-03-02T10:00:01.600Z", "EX01", "RECEIVE", "EX01\\Default EX01", "2001", INBOUND,
                "alice@contoso.com", "", "Quarterly report, \"final\" version"));
        log.records(1, msgtrk("2024-03-02T10:00:02.000Z", "EX01", "DELIVER", "", "2001", INBOUND,
                "alice@contoso.com", "250 2.1.5 RecipientOK", "Quarterly report, \"final\" version"));
        log.malformed("unbalanced quotes", "2024-03-02T10:00:02.100Z,10.0.0.11,EX01,,,,,SMTP,SEND,1003,\"<broken@contoso.com>,,x@y");
        log.records(2, msgtrk("2024-03-02T10:00:03.000Z", "EX01", "SEND", "Outbound to Fabrikam", "1002", OUTBOUND,
                "carol@fabrikam.com;dave@fabrikam.com", "250 2.1.5 Recipient OK;250 2.1.5 Recipient OK", "Invoice 4711"));
        log.malformed("unreadable date-time", msgtrk("yesterday", "EX01", "SEND", "Outbound to Fabrikam", "1002", OUTBOUND,
                "x@fabrikam.com", "", "Invoice 4711"));
        log.malformed("fields where #Fields declares 30", "2024-03-02T10:00:04.000Z,10.0.0.11,EX01,,,,Outbound to Fabrikam,SMTP,SEND");
        return log;
    }

    /** EX02, the edge: receives from the internet and relays to the hub; defers a message to Northwind. */
    private static Log edgeServer() {
        final Log log = new Log("EX02/MSGTRK2024030210-1.LOG", "\r\n").exchangeHeader();
        log.records(1, msgtrk("2024-03-02T10:00:00.500Z", "EX02", "RECEIVE", "EX02\\Default EX02", "3001", DEFERRED,
                "frank@northwind.example", "", "Welcome"));
        log.records(1, msgtrk("2024-03-02T10:00:01.000Z", "EX02", "RECEIVE", "EX02\\Default Frontend EX02", "3002", INBOUND,
                "alice@contoso.com", "", "Quarterly report, \"final\" version"));
        log.records(1, msgtrk("2024-03-02T10:00:01.500Z", "EX02", "SEND", "Intra-Organization SMTP Send", "3002", INBOUND,
                "alice@contoso.com", "250 2.1.5 Recipient OK", "Quarterly report, \"final\" version"));
        log.records(1, msgtrk("2024-03-02T10:00:02.500Z", "EX02", "DEFER", "Outbound to Northwind", "3001", DEFERRED,
                "frank@northwind.example", "450 4.4.316 Connection refused [Message=Socket error code 10061]", "Welcome"));
        log.skipped(msgtrk("2024-03-02T10:00:02.600Z", "EX02", "AGENTINFO", "", "3001", DEFERRED,
                "frank@northwind.example", "", "Welcome"));
        log.malformed("fields where #Fields declares 30", "2024-03-02T10:00:03.000Z,,EX02,,,,,SMTP,DEFER,3001");
        log.records(1, msgtrk("2024-03-02T10:05:02.500Z", "EX02", "DEFER", "Outbound to Northwind", "3001", DEFERRED,
                "frank@northwind.example", "450 4.4.316 Connection refused [Message=Socket error code 10061]", "Welcome"));
        return log;
    }

    /** One Postfix host: two messages correlated by queue id, session noise, and two lines that are no syslog at all. */
    private static Log postfix() {
        final Log log = new Log("mail.log", "\n");
        log.skipped("Mar  2 10:00:00 mx1 postfix/smtpd[1001]: connect from client.example.net[192.0.2.10]");
        log.skipped("Mar  2 10:00:01 mx1 postfix/smtpd[1001]: 4F2A11C0001: client=client.example.net[192.0.2.10]");
        log.skipped("Mar  2 10:00:01 mx1 postfix/cleanup[1002]: 4F2A11C0001: message-id=<p1.20240302@example.net>");
        log.skipped("Mar  2 10:00:02 mx1 postfix/qmgr[900]: 4F2A11C0001: from=<alice@example.net>, size=2048, nrcpt=2 (queue active)");
        log.skipped("Mar  2 10:00:02 mx1 postfix/cleanup[1003]: 7B3C22D0002: message-id=<p2.20240302@example.org>");
        log.skipped("Mar  2 10:00:03 mx1 postfix/qmgr[900]: 7B3C22D0002: from=<bob@example.org>, size=4096, nrcpt=1 (queue active)");
        log.skipped("Mar  2 10:00:03 mx1 postfix/smtp[1004]: Trusted TLS connection established to relay.example.com[203.0.113.5]:25: "
                + "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
        log.records(1, "Mar  2 10:00:04 mx1 postfix/smtp[1004]: 4F2A11C0001: to=<carol@dest.example>, relay=relay.example.com[203.0.113.5]:25, "
                + "delay=3, delays=0.1/0.01/1.2/1.7, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9XYZ)");
        log.records(1, "Mar  2 10:00:05 mx1 postfix/smtp[1005]: 4F2A11C0001: to=<erin@dest.example>, relay=relay.example.com[203.0.113.5]:25, "
                + "delay=4, delays=0.1/0.01/1.2/2.7, dsn=4.4.2, status=deferred (conversation with relay.example.com[203.0.113.5] "
                + "timed out while sending end of data -- message may be sent more than once)");
        log.skipped("Mar  2 10:00:06 mx1 postfix/anvil[1007]: statistics: max connection rate 1/60s for (smtp:192.0.2.10) at Mar  2 10:00:01");
        log.malformed("not a syslog line", "This line is not a syslog line at all");
        log.records(1, "Mar  2 10:00:10 mx1 postfix/smtp[1008]: 7B3C22D0002: to=<hank@gone.example>, relay=mx.gone.example[192.0.2.77]:25, "
                + "delay=1.1, delays=0.1/0/0.5/0.5, dsn=5.1.1, status=bounced (host mx.gone.example[192.0.2.77] said: "
                + "550 5.1.1 <hank@gone.example>: Recipient address rejected: User unknown (in reply to RCPT TO command))");
        // logged a second after a later event: the per-file reorder buffer puts it back in place
        log.records(1, "Mar  2 10:00:09 mx1 postfix/lmtp[1006]: 4F2A11C0001: to=<frank@example.net>, relay=mail.example.net[private/dovecot-lmtp], "
                + "delay=4, delays=0.1/0/0/3.9, dsn=2.0.0, status=sent (250 2.0.0 <frank@example.net> x1y2z3 Saved)");
        log.malformed("impossible timestamp", "Feb 30 10:00:11 mx1 postfix/smtp[1009]: 9D5E44F0004: to=<x@y.example>, relay=none, delay=1, "
                + "delays=1/0/0/0, dsn=4.4.1, status=deferred (impossible date)");
        log.skipped("Mar  2 10:00:12 mx1 postfix/qmgr[900]: 7B3C22D0002: removed");
        return log;
    }

    /** MessageTrace JSON lines, as another tool exports them: one event of the inbound message among them. */
    private static Log jsonLines() {
        final Log log = new Log("export/traces.jsonl", "\n");
        log.records(1, "{\"eventTime\":\"2024-03-02T10:00:02.200Z\",\"eventType\":\"DEFER\",\"networkMessageId\":\"n-json-1\","
                + "\"recipient\":\"a@x.example\",\"connectorId\":\"Outbound to X\",\"smtpReply\":\"450\",\"statusCode\":\"4.4.316\"}");
        log.malformed("not JSON", "not json at all");
        log.records(1, "{\"eventTime\":1709373605000,\"eventType\":\"deliver\",\"messageId\":\"<j2@x.example>\",\"recipient\":\"b@x.example\"}");
        log.malformed("missing eventType", "{\"eventTime\":\"2024-03-02T10:00:06Z\",\"recipient\":\"d@x.example\"}");
        log.records(1, "{\"eventTime\":\"2024-03-02T10:00:08Z\",\"eventType\":\"DSN\",\"networkMessageId\":\"" + INBOUND + "\","
                + "\"recipient\":\"alice@contoso.com\"}");
        return log;
    }

    /** A tracking-log row in the 30 columns of {@link #FIELDS}; a comma or quote in the subject is CSV-quoted. */
    private static String msgtrk(final String time, final String server, final String eventId, final String connector,
            final String internalId, final String networkId, final String recipients, final String statuses, final String subject) {
        final String quotedSubject = "\"" + subject.replace("\"", "\"\"") + "\"";
        final String quotedStatuses = statuses.contains(",") ? "\"" + statuses + "\"" : statuses;
        return String.join(",", time, "10.0.0.11", server, "203.0.113.25", "mx.remote.example", "", connector, "SMTP", eventId,
                internalId, "<" + networkId.substring(0, 8) + "@contoso.com>", networkId, recipients, quotedStatuses, "5120",
                String.valueOf(recipients.split(";").length), "", "", quotedSubject, "erin@contoso.com", "erin@contoso.com", "",
                "Originating", "", "", "", "", "Email", networkId, "15.02.1544.004");
    }

    // ---- reading back ----

    private static String where(final MessageTrace t) {
        return t.getProvenance().getFile() + ":" + t.getProvenance().getLine() + " " + t.getRecipient() + " " + t.getEventType();
    }

    private static String edge(final String type) {
        return "EX02 " + type;
    }

    private static String hub(final String type) {
        return "EX01 " + type;
    }

    /** "server type" (or "format type") of the records of one key, in the order they sit on their partition. */
    private static List<String> eventsOf(final String key) {
        return traces.stream().filter(r -> r.key().equals(key))
                .sorted((a, b) -> Long.compare(a.offset(), b.offset()))
                .map(r -> {
                    final MessageTrace t = r.value();
                    // Exchange logs are named by the server that wrote them (EX01/..., EX02/...)
                    final String origin = t.getProvenance().getFormat().equals("exchange-msgtrk")
                            ? Path.of(t.getProvenance().getFile()).getParent().getFileName().toString()
                            : t.getProvenance().getFormat();
                    return origin + " " + t.getEventType();
                })
                .toList();
    }

    private static <T> Map<MessageTrace, Long> counts(final List<T> items, final Function<T, MessageTrace> trace) {
        return items.stream().collect(Collectors.groupingBy(trace, HashMap::new, Collectors.counting()));
    }

    /** An input file being written, each line tagged with what the replay must make of it. */
    private static final class Log {
        record Line(String text, int records, String reason, boolean skipped) {
        }

        private final String name;
        private final String lineEnd;
        private final List<Line> lines = new ArrayList<>();
        private boolean bom;
        private Path path;

        Log(final String name, final String lineEnd) {
            this.name = name;
            this.lineEnd = lineEnd;
        }

        Log bom() {
            bom = true;
            return this;
        }

        Log exchangeHeader() {
            skipped("#Software: Microsoft Exchange Server");
            skipped("#Version: 15.02.1544.004");
            skipped("#Log-type: Message Tracking Log");
            skipped("#Date: 2024-03-02T10:00:00.000Z");
            skipped(FIELDS);
            return this;
        }

        void records(final int count, final String text) {
            lines.add(new Line(text, count, null, false));
        }

        void skipped(final String text) {
            lines.add(new Line(text, 0, null, true));
        }

        void malformed(final String reason, final String text) {
            lines.add(new Line(text, 0, reason, false));
        }

        Path write() throws IOException {
            path = dir.resolve(name);
            Files.createDirectories(path.getParent());
            final StringBuilder sb = new StringBuilder(bom ? "\uFEFF" : "");
            lines.forEach(l -> sb.append(l.text()).append(lineEnd));
            Files.writeString(path, sb.toString(), StandardCharsets.UTF_8);
            return path;
        }

        /** How a dead letter names a line: "file:line", line numbers from 1. */
        String source(final long lineNumber) {
            return path + ":" + lineNumber;
        }

        long records() {
            return lines.stream().mapToLong(Line::records).sum();
        }

        Map<Long, Integer> recordsByLine() {
            final Map<Long, Integer> out = new LinkedHashMap<>();
            numbered().forEach((n, l) -> {
                if (l.records() > 0) {
                    out.put(n, l.records());
                }
            });
            return out;
        }

        Map<Long, Line> malformed() {
            final Map<Long, Line> out = new LinkedHashMap<>();
            numbered().forEach((n, l) -> {
                if (l.reason() != null) {
                    out.put(n, l);
                }
            });
            return out;
        }

        Map<Long, Line> skipped() {
            final Map<Long, Line> out = new LinkedHashMap<>();
            numbered().forEach((n, l) -> {
                if (l.skipped()) {
                    out.put(n, l);
                }
            });
            return out;
        }

        private Map<Long, Line> numbered() {
            final Map<Long, Line> out = new LinkedHashMap<>();
            for (int i = 0; i < lines.size(); i++) {
                out.put(i + 1L, lines.get(i));
            }
            return out;
        }
    }
}
