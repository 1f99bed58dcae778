package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.app.MailflowTopology;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import io.mailflow.avro.internal.PostfixQueueEntry;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.Topics;
import io.mailflow.generate.ConnectorProfile;
import io.mailflow.generate.GeneratorSettings;
import io.mailflow.generate.Outage;
import io.mailflow.generate.PostfixDialect;
import io.mailflow.generate.PostfixSyslogWriter;
import io.mailflow.generate.TrafficGenerator;
import io.mailflow.serde.MockSchemaRegistry;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The raw-lines sub-topology through the whole topology ({@link MailflowTopology#build}): log lines
 * piped into mailflow.raw-lines as shippers send them come out on mailflow.traces as exactly the
 * records {@code replay} makes of the same files, under the same keys (provenance aside: file =
 * the envelope's source, line = null); what cannot be read becomes a dead letter saying why and
 * where from; the parse context lives in stores and survives a restart.
 */
@DisplayName("raw lines: shipped log lines parsed inside Kafka, as replay parses the files")
class RawLinesTopologyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * When the shipper read the lines: classic syslog lines have no year, the record timestamp gives
     * it (2024, replay's reference year in {@link Fixtures#options()}); the lines are all before it.
     */
    private static final Instant SHIPPED = Instant.parse("2024-06-01T00:00:00Z");

    @TempDir
    Path tmp;
    private String scope;
    private MailflowConfig config;
    private Topics topics;
    private Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, String> rawLines;
    private TestOutputTopic<String, MessageTrace> traces;
    private TestOutputTopic<String, DeadLetter> deadLetters;

    @BeforeEach
    void start() throws IOException {
        scope = "raw-lines-" + UUID.randomUUID();
        config = MailflowConfig.builder().defaults().override("schema.registry.url", "mock://" + scope).build();
        topics = new Topics(config);
        stateDir = Files.createDirectories(tmp.resolve("state"));
        open();
    }

    @AfterEach
    void stop() {
        driver.close();
        MockSchemaRegistry.dropScope(scope);
    }

    /** A driver of the whole topology; opened again after {@link #driver}.close(), it is the restarted application. */
    private void open() {
        final Properties props = new Properties();
        props.putAll(config.kafkaProperties());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(MailflowTopology.build(config), props, SHIPPED);
        rawLines = driver.createInputTopic(topics.rawLines.name(), Serdes.String().serializer(), Serdes.String().serializer());
        traces = driver.createOutputTopic(topics.traces.name(), Serdes.String().deserializer(), topics.traces.valueSerde().deserializer());
        deadLetters = driver.createOutputTopic(topics.deadLetters.name(), Serdes.String().deserializer(),
            topics.deadLetters.valueSerde().deserializer());
    }

    // ---- what replay makes of the same files -------------------------------------------------

    /** What replay makes of the files: records and the reasons of its dead letters. */
    private record Replay(List<KeyValue<String, MessageTrace>> records, List<String> rejected) {
    }

    /** Replay's records of the files, as a consumer of mailflow.traces reads them (through the serde), provenance cleared. */
    private Replay replayed(final ReplayOptions options, final Path... files) {
        final Fixtures.Replayed replayed = Fixtures.replay(options, files);
        final Serde<MessageTrace> serde = topics.traces.valueSerde();
        final List<KeyValue<String, MessageTrace>> out = new ArrayList<>();
        for (final CollectingSink.Keyed k : replayed.sink().records) {
            final MessageTrace read = serde.deserializer().deserialize(topics.traces.name(),
                serde.serializer().serialize(topics.traces.name(), k.trace()));
            out.add(KeyValue.pair(k.key(), withoutFileAndLine(read)));
        }
        return new Replay(out, replayed.sink().deadLetters.stream().map(DeadLetter::getReason).sorted().toList());
    }

    /**
     * The reasons of the dead letters that came out, without the origin raw lines add
     * (" (host mx1, source /var/log/maillog)"). A line that names no format and is no syslog line
     * is rejected before any parser sees it, with a reason of its own: replay knows the whole file
     * is Postfix, raw lines only that this line is neither Postfix nor Exchange.
     */
    private List<String> rejected() {
        return deadLetters.readValuesToList().stream()
            .map(d -> d.getReason().replaceFirst(" \\((host [^)]*|source [^)]*)\\)$", ""))
            .map(r -> r.equals("not a Postfix syslog line, and no Exchange #Fields header seen for this host and source")
                ? "not a syslog line (no timestamp, host and program prefix)" : r)
            .sorted().toList();
    }

    /** The records, keys and dead letters replay makes of the same lines. */
    private void assertAsReplay(final Replay expected, final List<KeyValue<String, MessageTrace>> actual) {
        assertSameRecords(expected.records(), actual);
        assertEquals(expected.rejected(), rejected(), "the lines replay rejects are dead letters here, for the same reasons");
    }

    /** What came out on mailflow.traces, checked to carry the envelope's source and no line, provenance then cleared. */
    private List<KeyValue<String, MessageTrace>> parsed(final Function<MessageTrace, String> expectedFile) {
        final List<KeyValue<String, MessageTrace>> out = new ArrayList<>();
        for (final TestRecord<String, MessageTrace> r : traces.readRecordsToList()) {
            final MessageTrace t = r.value();
            assertNull(t.getProvenance().getLine(), "records produced live have no line number");
            assertEquals(expectedFile.apply(t), t.getProvenance().getFile(), "file = the envelope's source");
            assertEquals(t.getEventTime(), r.getRecordTime(), "the record timestamp is the event time, as replay writes it");
            out.add(KeyValue.pair(r.key(), withoutFileAndLine(t)));
        }
        return out;
    }

    private static MessageTrace withoutFileAndLine(final MessageTrace t) {
        final MessageTrace copy = MessageTrace.newBuilder(t).build();
        copy.setProvenance(new Provenance(t.getProvenance().getFormat(), null, null));
        return copy;
    }

    /**
     * The same records under the same keys, and each message's records in the same order (what the
     * queue tracker depends on). Across messages the order may differ: replay merges its files by
     * event time, a topic holds the lines as they were shipped.
     */
    private static void assertSameRecords(final List<KeyValue<String, MessageTrace>> expected,
                                          final List<KeyValue<String, MessageTrace>> actual) {
        assertTrue(expected.size() > 5, "replay makes records of the file: " + expected.size());
        assertEquals(expected.size(), actual.size(), "as many records as replay makes");
        assertEquals(byKey(expected), byKey(actual));
    }

    private static Map<String, List<MessageTrace>> byKey(final List<KeyValue<String, MessageTrace>> records) {
        final Map<String, List<MessageTrace>> m = new LinkedHashMap<>();
        records.forEach(kv -> m.computeIfAbsent(kv.key, k -> new ArrayList<>()).add(kv.value));
        return new java.util.TreeMap<>(m);
    }

    // ---- how shippers send lines ----------------------------------------------------------------

    private static final Pattern SYSLOG_HOST = Pattern.compile("^(?:\\S+ +\\d+ \\S+|\\S+) (\\S+) ");

    private static String hostOf(final String line) {
        final Matcher m = SYSLOG_HOST.matcher(line);
        return m.find() ? m.group(1) : "unknown";
    }

    /** Vector's envelope: message, host, file, timestamp (when it read the line). */
    private static String vector(final String line, final String host, final String file) {
        final ObjectNode n = JSON.createObjectNode().put("message", line).put("host", host).put("file", file)
            .put("timestamp", SHIPPED.toString()).put("source_type", "file");
        return n.toString();
    }

    /** Filebeat's envelope: message, host.name, log.file.path, @timestamp. */
    private static String filebeat(final String line, final String host, final String file, final String format) {
        final ObjectNode n = JSON.createObjectNode().put("@timestamp", SHIPPED.toString()).put("message", line);
        n.putObject("host").put("name", host);
        n.putObject("log").put("offset", 0).putObject("file").put("path", file);
        if (format != null) {
            n.put("format", format);
        }
        return n.toString();
    }

    /** Fluent Bit's envelope: the line in log, the host as hostname. */
    private static String fluentBit(final String line, final String host) {
        return JSON.createObjectNode().put("log", line).put("hostname", host).put("date", 1.7e9).toString();
    }

    private void pipe(final String key, final String value) {
        rawLines.pipeInput(new TestRecord<>(key, value, SHIPPED));
    }

    private static List<String> lines(final Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
    }

    // ---- specifications ------------------------------------------------------------------------

    @Test
    @DisplayName("a Postfix maillog as Vector envelopes: the records and keys replay makes of the file, file = the envelope's source")
    void postfixAsEnvelopes() throws IOException {
        final Path log = Fixtures.resource("postfix_interleaved.log");
        for (final String line : lines(log)) {
            pipe(hostOf(line), vector(line, hostOf(line), "/var/log/maillog"));
        }
        final Replay replay = replayed(Fixtures.options(), log);
        assertEquals(4, replay.rejected().size(), "the file has lines replay rejects: " + replay.rejected());
        assertAsReplay(replay, parsed(t -> "/var/log/maillog"));
        // 4F2A11C0001 and 7B3C22D0002 were removed; the bounce 8C4D33E0003 and the deferred 9D5E44F0004
        // and F00000000 are still queued when the file ends
        assertEquals(java.util.Set.of("mx1/8C4D33E0003", "mx1/9D5E44F0004", "mx1/F00000000"), storedKeys(),
            "a message's context leaves the store when Postfix logs 'removed'");
    }

    @Test
    @DisplayName("the same maillog as plain text keyed by host (rsyslog's default), and as Fluent Bit and Filebeat envelopes")
    void postfixAsPlainTextAndOtherShippers() throws IOException {
        final Path log = Fixtures.resource("postfix_interleaved.log");
        final Replay expected = replayed(Fixtures.options(), log);
        for (final String line : lines(log)) {
            pipe(hostOf(line), line + "\n");
        }
        assertAsReplay(expected, parsed(t -> null));
        for (final String line : lines(log)) {
            pipe(hostOf(line), fluentBit(line, hostOf(line)));
        }
        assertAsReplay(expected, parsed(t -> null));
        for (final String line : lines(log)) {
            pipe(hostOf(line), filebeat(line, hostOf(line), "/var/log/mail.log", "postfix"));
        }
        assertAsReplay(expected, parsed(t -> "/var/log/mail.log"));
    }

    @Test
    @DisplayName("a generated maillog of two hosts (classic timestamps, deferrals, bounces, expiries): the records replay makes")
    void generatedPostfixLogOfTwoHosts() throws IOException {
        final Path log = generatedPostfixLog();
        final List<String> lines = lines(log);
        assertTrue(lines.size() > 1000, "a log of some size: " + lines.size());
        for (final String line : lines) {
            pipe(hostOf(line), line);
        }
        // a year from the generator's start: the record timestamps (SHIPPED, 2024) give the year, replay's reference year likewise
        final Replay replay = replayed(Fixtures.options(), log);
        assertEquals(List.of(), replay.rejected(), "generated lines all parse");
        assertAsReplay(replay, parsed(t -> null));
    }

    @Test
    @DisplayName("lines of other programs in the same syslog stream are skipped and counted, not dead-lettered")
    void otherProgramsSkipped() {
        pipe("mx1", "Mar  2 10:00:00 mx1 sshd[77]: Accepted publickey for root from 192.0.2.1 port 22 ssh2");
        pipe("mx1", vector("Mar  2 10:00:01 mx1 CRON[78]: (root) CMD (run-parts /etc/cron.hourly)", "mx1", "/var/log/syslog"));
        pipe("mx1", "");
        assertTrue(traces.isEmpty());
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    @DisplayName("two Exchange servers' tracking logs interleaved as envelopes, each with its own #Fields header (one repeated on restart)")
    void exchangeTrackingLogsInterleaved() throws IOException {
        final Path ex2016 = Fixtures.resource("exchange2016_msgtrk_failures.log");
        final Path ex2010 = Fixtures.resource("exchange2010_msgtrk_restart.log");
        final List<String> a = lines(ex2016);
        final List<String> b = lines(ex2010);
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            if (i < a.size()) {
                pipe("EX01", filebeat(a.get(i), "EX01", "C:\\MSGTRK\\MSGTRK2024030210-1.LOG", null));
            }
            if (i < b.size()) {
                pipe("EX2010", filebeat(b.get(i), "EX2010", "D:\\Logs\\MSGTRK20240302-1.LOG", "exchange-msgtrk"));
            }
        }
        final Replay expected = replayed(Fixtures.options(), ex2016, ex2010);
        assertEquals(3, expected.rejected().size(), "the 2016 log has rows replay rejects: " + expected.rejected());
        assertAsReplay(expected, parsed(t -> t.getProvenance().getFile()));
        final KeyValueStore<String, String> fields = driver.getKeyValueStore(RawLineParser.EXCHANGE_FIELDS_STORE);
        assertTrue(fields.get("EX01|C:\\MSGTRK\\MSGTRK2024030210-1.LOG").startsWith("#Fields: date-time,"));
        assertTrue(fields.get("EX2010|D:\\Logs\\MSGTRK20240302-1.LOG").startsWith("#Fields: "));
    }

    @Test
    @DisplayName("a tracking-log row of a file whose #Fields header was never seen is a dead letter; after the header the rows parse")
    void exchangeRowBeforeHeader() throws IOException {
        final List<String> log = lines(Fixtures.resource("exchange2016_msgtrk_failures.log"));
        final String row = log.stream().filter(l -> !l.startsWith("#") && !l.startsWith("\uFEFF")).findFirst().orElseThrow();
        final String header = log.stream().filter(l -> l.startsWith("#Fields:")).findFirst().orElseThrow();
        pipe("EX01", vector(row, "EX01", "MSGTRK1.LOG"));
        pipe("EX01", vector(header, "EX01", "MSGTRK2.LOG"));
        pipe("EX01", vector(row, "EX01", "MSGTRK2.LOG"));
        final DeadLetter letter = deadLetters.readValue();
        assertTrue(letter.getReason().contains("no Exchange #Fields header seen"), letter.getReason());
        assertTrue(letter.getReason().endsWith("(host EX01, source MSGTRK1.LOG)"), letter.getReason());
        assertTrue(deadLetters.isEmpty());
        assertEquals("MSGTRK2.LOG", traces.readValue().getProvenance().getFile());
    }

    @Test
    @DisplayName("unreadable envelopes and lines become dead letters with the reason, the record's topic/partition/offset, host and source")
    void deadLetters() {
        pipe("mx1", "{\"message\": \"Mar  2 10:00:00 mx1 postfix/smtp[1]: ABC");                               // offset 0
        pipe("mx1", "{\"msg\": \"Mar  2 10:00:00 mx1 postfix/smtp[1]: x\", \"host\": \"mx1\"}");               // offset 1
        pipe("mx1", JSON.createObjectNode().put("message", "x").put("format", "exchange-online-csv").toString()); // offset 2
        pipe("mx1", JSON.createObjectNode().put("message", "x").put("format", "sendmail").toString());           // offset 3
        pipe("mx1", vector("Mar  2 10:00:02 mx1 postfix/smtp[1]: ABCDE1: to=<a@b.example>, relay=none", "mx1",
            "/var/log/maillog"));                                                                                // offset 4
        pipe("web7", "GET /index.html HTTP/1.1 200");                                                           // offset 5
        final List<TestRecord<String, DeadLetter>> letters = deadLetters.readRecordsToList();
        assertEquals(6, letters.size(), letters::toString);
        final String topic = topics.rawLines.name();
        for (int i = 0; i < letters.size(); i++) {
            final DeadLetter d = letters.get(i).value();
            assertEquals(topic + "/0/" + i, d.getSource());
            assertEquals(d.getSource(), letters.get(i).key());
            assertEquals("parse", d.getStage());
            assertEquals(SHIPPED, d.getEventTime(), "stamped with the raw record's time");
        }
        assertTrue(letters.get(0).value().getReason().startsWith("unreadable JSON envelope"), letters.get(0).value().getReason());
        assertTrue(letters.get(0).value().getRaw().startsWith("{\"message\""), "the record as it came");
        assertTrue(letters.get(1).value().getReason().contains("no text field 'message' or 'log'"));
        assertTrue(letters.get(2).value().getReason().contains("not a line format"));
        assertTrue(letters.get(3).value().getReason().contains("unknown format 'sendmail'"));
        assertEquals("delivery line without status= (host mx1, source /var/log/maillog)", letters.get(4).value().getReason());
        assertTrue(letters.get(5).value().getReason().endsWith("(host web7)"), "plain text: the host is the record key");
        assertTrue(traces.isEmpty());
    }

    @Test
    @DisplayName("the parse context is in stores: a driver closed mid-file and opened again on its state gives the same records")
    void stateSurvivesRestart() throws IOException {
        // The driver deletes its state directory on close() and restores no changelog; a deployed
        // application restores its stores from their changelogs. So does this test: the store's
        // changelog as the first driver wrote it (compacted: the latest value per key) is written
        // into the new driver's store before the rest of the file comes. Only what is in the store
        // survives; anything the processor held in memory is gone with the old driver.
        final Path log = generatedPostfixLog();
        final List<String> lines = lines(log);
        final List<KeyValue<String, MessageTrace>> out = new ArrayList<>();
        final Map<String, PostfixQueueEntry> changelog = new LinkedHashMap<>();
        final int[] cuts = {lines.size() / 3, 2 * lines.size() / 3, lines.size()};
        int from = 0;
        for (final int to : cuts) {
            for (final String line : lines.subList(from, to)) {
                pipe(hostOf(line), vector(line, hostOf(line), "/var/log/maillog"));
            }
            out.addAll(parsed(t -> "/var/log/maillog"));
            if (to < lines.size()) {
                final int inFlight = storedQueueIds();
                assertTrue(inFlight > 0, "messages in flight at the cut");
                driver.createOutputTopic(config.get("application.id") + "-" + RawLineParser.POSTFIX_QUEUE_STORE + "-changelog",
                        Serdes.String().deserializer(), topics.avro(PostfixQueueEntry.class).deserializer())
                    .readKeyValuesToList().forEach(kv -> changelog.put(kv.key, kv.value));
                driver.close(); // the application stops mid-file: messages in flight, their context only in the store
                open();
                final KeyValueStore<String, PostfixQueueEntry> restored = driver.getKeyValueStore(RawLineParser.POSTFIX_QUEUE_STORE);
                changelog.forEach((k, v) -> {
                    if (v == null) {
                        restored.delete(k);
                    } else {
                        restored.put(k, v);
                    }
                });
                assertEquals(inFlight, storedQueueIds(), "the restored store holds the context of the messages in flight");
            }
            from = to;
        }
        assertAsReplay(replayed(Fixtures.options(), log), out);
    }

    @Test
    @DisplayName("a queue id whose 'removed' never comes is forgotten once unseen for the retention (6 days), on stream time")
    void unremovedQueueIdsExpire() {
        pipe("mx1", "Mar  2 10:00:01 mx1 postfix/cleanup[2]: 4F2A11C0001: message-id=<lost@example.net>");
        pipe("mx1", "Mar  2 10:00:01 mx1 postfix/cleanup[2]: 4F2A11C0002: message-id=<kept@example.net>");
        assertEquals(2, storedQueueIds());
        // the second is seen again (deferred) four days later, the first never
        rawLines.pipeInput(new TestRecord<>("mx1", "Mar  6 10:00:00 mx1 postfix/smtp[3]: 4F2A11C0002: to=<r@x.example>,"
            + " relay=none, delay=345599, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to x.example[192.0.2.9]:25:"
            + " Connection refused)", SHIPPED.plus(Duration.ofDays(4))));
        rawLines.pipeInput(new TestRecord<>("mx1", "Mar  8 13:00:00 mx1 sshd[1]: tick", SHIPPED.plus(Duration.ofDays(6)).plus(Duration.ofHours(1))));
        final KeyValueStore<String, PostfixQueueEntry> store = driver.getKeyValueStore(RawLineParser.POSTFIX_QUEUE_STORE);
        assertNull(store.get("mx1/4F2A11C0001"), "unseen for more than 6 days: gone");
        assertEquals("<kept@example.net>", store.get("mx1/4F2A11C0002").getMessageId());
        assertEquals(List.of("r@x.example"), store.get("mx1/4F2A11C0002").getPending().stream().map(p -> p.getRecipient()).toList());
    }

    private int storedQueueIds() {
        final KeyValueStore<String, PostfixQueueEntry> store = driver.getKeyValueStore(RawLineParser.POSTFIX_QUEUE_STORE);
        int n = 0;
        try (KeyValueIterator<String, PostfixQueueEntry> all = store.all()) {
            while (all.hasNext()) {
                all.next();
                n++;
            }
        }
        return n;
    }

    private java.util.Set<String> storedKeys() {
        final KeyValueStore<String, PostfixQueueEntry> store = driver.getKeyValueStore(RawLineParser.POSTFIX_QUEUE_STORE);
        final java.util.Set<String> keys = new java.util.TreeSet<>();
        try (KeyValueIterator<String, PostfixQueueEntry> all = store.all()) {
            all.forEachRemaining(kv -> keys.add(kv.key));
        }
        return keys;
    }

    /** One hour of generated traffic of two Postfix hosts with classic (yearless) timestamps: deferrals, an outage, bounces, expiries. */
    private Path generatedPostfixLog() throws IOException {
        final GeneratorSettings settings = GeneratorSettings.builder().seed(11).start(Instant.parse("2024-03-02T08:00:00Z"))
            .duration(Duration.ofHours(1)).expiry(Duration.ofMinutes(30)).permanentRate(0.02).sporadicRate(0.02)
            .connectors(ConnectorProfile.parseList("internet:4,partner-contoso:4,mailbox:4"))
            .outage(Outage.parse("partner-contoso:4.4.316:40m@+10m")).servers(List.of("mx1", "mx2"))
            .dialect(PostfixDialect.INSTANCE).build();
        final Path log = tmp.resolve("maillog");
        try (BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
             PostfixSyslogWriter writer = new PostfixSyslogWriter(out, PostfixSyslogWriter.TimestampStyle.BSD)) {
            new TrafficGenerator(settings).generate(writer);
        }
        return log;
    }
}
