package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@DisplayName("replay: exports are sorted, logs stream")
class SortedReplayTest {
    /** Six hours of two servers' traffic with three outages, as generated records (event-time order). */
    private static List<MessageTrace> scenario;

    @TempDir
    Path tmp;

    @BeforeAll
    static void generate() {
        scenario = ExportRows.sixHoursWithThreeOutages(11);
    }

    /** What the analyzer sees of a record: its key and its content; provenance (file, line) set aside. */
    private static List<String> content(final CollectingSink sink) {
        return sink.records.stream().map(k -> {
            final MessageTrace copy = MessageTrace.newBuilder(k.trace()).setProvenance(new Provenance("-", "-", 0L)).build();
            return k.key() + " " + copy;
        }).toList();
    }

    private Path write(final String name, final List<String> header, final List<String> rows) {
        try {
            return Files.writeString(tmp.resolve(name), ExportRows.file(header, rows));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<List<String>> split(final List<String> rows, final int parts) {
        final List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < parts; i++) {
            out.add(rows.subList(rows.size() * i / parts, rows.size() * (i + 1) / parts));
        }
        return out;
    }

    private static void assertTimeOrder(final CollectingSink sink) {
        final List<Instant> times = sink.traces().stream().map(MessageTrace::getEventTime).toList();
        assertEquals(times.stream().sorted().toList(), times, "event-time order");
    }

    @Test
    @DisplayName("an extended report in random row order, split across 3 files, replays exactly like the same rows in time order in one file")
    void shuffledExtendedReport() {
        final List<String> rows = ExportRows.extendedReportRows(scenario);
        final List<String> header = List.of(ExportRows.EXTENDED_HEADER);
        final Path inOrder = write("ordered.csv", header, rows);
        final List<List<String>> parts = split(ExportRows.shuffled(rows, 7), 3);
        final Path a = write("trace1.csv", header, parts.get(0));
        final Path b = write("trace2.csv", header, parts.get(1));
        final Path c = write("trace3.csv", header, parts.get(2));

        final Fixtures.Replayed expected = Fixtures.replay(inOrder);
        assertTrue(expected.summary().records() > 10_000, "a multi-hour scenario: " + expected.summary().records());
        assertTrue(expected.summary().recordsOf(EventType.DEFER) > 1_000, "the outages defer mail");
        assertEquals(0, expected.summary().rejected());
        assertTimeOrder(expected.sink());

        final Fixtures.Replayed shuffled = Fixtures.replay(a, b, c);
        assertEquals(content(expected.sink()), content(shuffled.sink()));
        assertEquals(0, shuffled.summary().outOfOrder());
        assertEquals(3, shuffled.summary().sorting().files());
        assertEquals(expected.summary().records(), shuffled.summary().sorting().records());
        assertEquals(0, shuffled.summary().sorting().runsSpilled(), "each file fits in the default sort buffer");
        assertTrue(shuffled.summary().render().contains("Sorted by event time before the merge: "), shuffled.summary().render());

        final Fixtures.Replayed otherOrder = Fixtures.replay(c, a, b);
        assertEquals(content(expected.sink()), content(otherOrder.sink()), "whatever the order the files are given in");

        final Fixtures.Replayed spilled = Fixtures.replay(Fixtures.options().withSortBuffer(5_000).withSortDir(tmp.resolve("runs")), a, b, c);
        assertEquals(content(expected.sink()), content(spilled.sink()), "whatever the sort buffer");
        assertTrue(spilled.summary().sorting().runsSpilled() >= 6, "runs: " + spilled.summary().sorting().runsSpilled());

        // what happened before: streamed, the analyzer saw event time jump back and forth
        final Fixtures.Replayed streamed = Fixtures.replay(Fixtures.options().withSortMode(SortOptions.Mode.NEVER), a, b, c);
        assertTrue(streamed.summary().outOfOrder() > 10_000, "out of order: " + streamed.summary().outOfOrder());
        assertNotEquals(content(expected.sink()), content(streamed.sink()));
    }

    @Test
    @DisplayName("a newest-first Get-MessageTraceDetail export (whole-second dates, many ties) replays like the same rows oldest first")
    void newestFirstDetailExport() {
        final List<String> rows = ExportRows.detailRows(scenario);
        final List<String> header = List.of(ExportRows.DETAIL_PREAMBLE, ExportRows.DETAIL_HEADER);
        // an en-US export whose days are all 12 or less: the date order must be given (see DateOrderTest)
        final ReplayOptions enUs = Fixtures.options().withDateOrder(DateOrder.MONTH_FIRST);
        final Fixtures.Replayed oldestFirst = Fixtures.replay(enUs, write("oldest.csv", header, rows));
        final Fixtures.Replayed newestFirst = Fixtures.replay(enUs, write("newest.csv", header, ExportRows.newestFirst(rows)));
        assertEquals(TraceFormat.EXCHANGE_ONLINE_DETAIL, newestFirst.summary().files().values().iterator().next());
        assertEquals(rows.size(), newestFirst.summary().records());
        assertTimeOrder(newestFirst.sink());
        assertEquals(content(oldestFirst.sink()), content(newestFirst.sink()));
        final long tied = rows.size() - newestFirst.sink().traces().stream().map(MessageTrace::getEventTime).distinct().count();
        assertTrue(tied > 1_000, "rows sharing their second with another: " + tied);
    }

    @Test
    @DisplayName("two replays of the same unsorted input give identical sequences, provenance included")
    void deterministic() {
        final List<String> rows = ExportRows.shuffled(ExportRows.extendedReportRows(scenario.subList(0, 5_000)), 3);
        final Path a = write("a.csv", List.of(ExportRows.EXTENDED_HEADER), rows.subList(0, rows.size() / 2));
        final Path b = write("b.csv", List.of(ExportRows.EXTENDED_HEADER), rows.subList(rows.size() / 2, rows.size()));
        final ReplayOptions small = Fixtures.options().withSortBuffer(700).withSortDir(tmp.resolve("runs"));
        final Fixtures.Replayed first = Fixtures.replay(small, a, b);
        final Fixtures.Replayed second = Fixtures.replay(small, a, b);
        assertTrue(first.summary().sorting().runsSpilled() > 2);
        assertEquals(first.sink().records, second.sink().records);
        assertEquals(first.sink().records, Fixtures.replay(a, b).sink().records, "in memory or spilled, the same sequence");
    }

    @Test
    @DisplayName("overlapping files: a row in two files is replayed twice, the copy from the file given first first")
    void overlappingFiles() {
        final List<String> rows = ExportRows.extendedReportRows(scenario.subList(0, 3_000));
        final List<String> header = List.of(ExportRows.EXTENDED_HEADER);
        final int cut1 = rows.size() * 6 / 10;
        final int cut2 = rows.size() * 4 / 10;
        final Path first = write("first.csv", header, ExportRows.shuffled(rows.subList(0, cut1), 1));
        final Path second = write("second.csv", header, ExportRows.shuffled(rows.subList(cut2, rows.size()), 2));
        final Path all = write("all.csv", header, rows);
        final Path overlap = write("overlap.csv", header, rows.subList(cut2, cut1));

        final Fixtures.Replayed r = Fixtures.replay(first, second);
        final Fixtures.Replayed once = Fixtures.replay(all);
        final Fixtures.Replayed twice = Fixtures.replay(overlap);
        assertEquals(once.summary().records() + twice.summary().records(), r.summary().records(), "nothing is deduplicated");
        assertTimeOrder(r.sink());

        // each record of the overlap comes twice: from first.csv, then from second.csv, with at most the
        // other recipients of its row between the two copies
        final Map<String, List<Integer>> positions = new HashMap<>();
        final List<String> content = content(r.sink());
        for (int i = 0; i < content.size(); i++) {
            positions.computeIfAbsent(content.get(i), k -> new ArrayList<>()).add(i);
        }
        final List<MessageTrace> sequence = r.sink().traces();
        for (final String record : content(twice.sink())) {
            final List<Integer> at = positions.get(record);
            assertEquals(2, at.size());
            final MessageTrace a = sequence.get(at.get(0));
            assertEquals("first.csv", Path.of(a.getProvenance().getFile()).getFileName().toString());
            assertEquals("second.csv", Path.of(sequence.get(at.get(1)).getProvenance().getFile()).getFileName().toString());
            for (int i = at.get(0) + 1; i < at.get(1); i++) {
                final MessageTrace between = sequence.get(i);
                assertEquals(a.getEventTime(), between.getEventTime());
                assertEquals(a.getInternalMessageId(), between.getInternalMessageId());
                assertEquals(a.getEventType(), between.getEventType());
            }
        }
        final Fixtures.Replayed swapped = Fixtures.replay(second, first);
        assertEquals(content, content(swapped.sink()), "the same content in the same order, given the other way round");
    }

    @Test
    @DisplayName("a file larger than the sort buffer (200,000 rows, buffer 10,000) is sorted in spilled runs and leaves no temp files")
    void largerThanTheBuffer() throws IOException {
        final Path jsonl = tmp.resolve("big.jsonl");
        final List<String> lines = new ArrayList<>(200_000);
        final java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        final long base = Instant.parse("2026-03-02T00:00:00Z").toEpochMilli();
        for (int i = 0; i < 200_000; i++) {
            // a day in 10-second steps: many rows share a time
            final long time = base + random.nextInt(8_640) * 10_000L;
            lines.add("{\"eventTime\":" + time + ",\"eventType\":\"" + (i % 3 == 0 ? "DEFER" : "DELIVER")
                    + "\",\"recipient\":\"r" + i + "@example.com\",\"connectorId\":\"c" + (i % 7) + "\"}");
        }
        Files.write(jsonl, lines);

        final Path runs = tmp.resolve("sort-dir");
        final List<ReplayProgress.SortSnapshot> snapshots = new CopyOnWriteArrayList<>();
        final ReplayProgress progress = new ReplayProgress() {
            @Override
            public void update(final Snapshot snapshot) {
            }

            @Override
            public void finished(final ReplaySummary summary) {
            }

            @Override
            public void sorting(final SortSnapshot snapshot) {
                snapshots.add(snapshot);
            }
        };
        final LineSink spilled = new LineSink();
        final ReplaySummary summary = replay(Fixtures.options().withSortBuffer(10_000).withSortDir(runs).withProgress(progress),
                spilled, jsonl);
        assertEquals(200_000, summary.records());
        assertEquals(20, summary.sorting().runsSpilled());
        assertEquals(10_000, summary.sorting().peakInMemory());
        assertTrue(summary.sorting().bytesSpilled() > 200_000 * 20L);
        assertTrue(spilled.inTimeOrder, "event-time order");
        try (Stream<Path> left = Files.list(runs)) {
            assertEquals(List.of(), left.toList(), "the sort directory is emptied");
        }
        final ReplayProgress.SortSnapshot last = snapshots.get(snapshots.size() - 1);
        assertEquals(200_000, last.records());
        assertEquals(20, last.runsSpilled());
        assertEquals("sorting " + jsonl + ": 200,000 records, 20 runs spilled", last.describe());

        final LineSink inMemory = new LineSink();
        assertEquals(0, replay(Fixtures.options().withSortBuffer(200_000), inMemory, jsonl).sorting().runsSpilled());
        assertEquals(inMemory.lines, spilled.lines, "the same sequence of lines");
    }

    private static ReplaySummary replay(final ReplayOptions options, final TraceSink sink, final Path... inputs) {
        try {
            return new Replayer().replay(List.of(inputs), options, sink);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Keeps only the line each record came from, and whether event time ever went back. */
    private static final class LineSink implements TraceSink {
        final List<Long> lines = new ArrayList<>();
        boolean inTimeOrder = true;
        private Instant last = Instant.MIN;

        @Override
        public void accept(final String key, final MessageTrace trace) {
            lines.add(trace.getProvenance().getLine());
            inTimeOrder &= !trace.getEventTime().isBefore(last);
            last = trace.getEventTime();
        }

        @Override
        public void reject(final DeadLetter deadLetter) {
            throw new AssertionError("unexpected dead letter " + deadLetter);
        }
    }

    @Test
    @DisplayName("files that each fit in the sort buffer but not together: those waiting for the merge are spilled to make room")
    void waitingFilesMakeRoom() {
        final List<String> rows = ExportRows.extendedReportRows(scenario.subList(0, 6_000));
        final List<List<String>> parts = split(ExportRows.shuffled(rows, 5), 3);
        final List<String> header = List.of(ExportRows.EXTENDED_HEADER);
        final Path a = write("a.csv", header, parts.get(0));
        final Path b = write("b.csv", header, parts.get(1));
        final Path c = write("c.csv", header, parts.get(2));
        final Fixtures.Replayed roomy = Fixtures.replay(a, b, c);
        assertEquals(0, roomy.summary().sorting().runsSpilled());
        final long perFile = roomy.summary().records() / 3;

        final int buffer = (int) (perFile * 3 / 2);
        final Fixtures.Replayed tight = Fixtures.replay(Fixtures.options().withSortBuffer(buffer).withSortDir(tmp.resolve("runs")), a, b, c);
        assertEquals(2, tight.summary().sorting().runsSpilled(), "the first and the second file, each when the next needs the room");
        assertTrue(tight.summary().sorting().peakInMemory() <= buffer, "peak " + tight.summary().sorting().peakInMemory());
        assertEquals(roomy.sink().records, tight.sink().records);
    }

    @Test
    @DisplayName("more runs than the merge takes at once are merged in passes, to the same sequence")
    void multiPassMerge() throws IOException {
        final List<String> rows = ExportRows.shuffled(ExportRows.extendedReportRows(scenario.subList(0, 4_000)), 9);
        final Path file = write("report.csv", List.of(ExportRows.EXTENDED_HEADER), rows);
        final List<SourcedTrace> expected = drain(file, 100_000, 64);
        final Path runs = tmp.resolve("runs");
        final List<SourcedTrace> passes = drain(file, 100, 3);
        assertTrue(expected.size() > 2_000);
        assertEquals(expected, passes);
        try (Stream<Path> left = Files.list(runs)) {
            assertEquals(0, left.count());
        }
    }

    private List<SourcedTrace> drain(final Path file, final int buffer, final int fanIn) throws IOException {
        final ReplayOptions options = Fixtures.options().withSortBuffer(buffer).withSortDir(tmp.resolve("runs"));
        final ReplayStats stats = new ReplayStats();
        final List<SourcedTrace> out = new ArrayList<>();
        try (ExportSorter sorter = new ExportSorter(options.sort(), stats, ReplayProgress.NONE, new AtomicLong(), 0, System.nanoTime(),
                fanIn)) {
            final TraceSource source = new TraceSource(0, file.toString(), TraceFormat.EXCHANGE_ONLINE_CSV,
                    Replayer.reader(TraceFormat.EXCHANGE_ONLINE_CSV, InputFiles.open(file, new AtomicLong(), 0), file.toString(), options),
                    options.reorderWindow(), stats, rejection -> { });
            try (SortedSource sorted = SortedSource.sort(source, sorter)) {
                SourcedTrace t;
                while ((t = sorted.next()) != null) {
                    out.add(t);
                }
            }
            if (buffer < out.size()) {
                assertTrue(stats.runsSpilled > fanIn, "runs: " + stats.runsSpilled);
            }
        }
        return out;
    }

    @Test
    @DisplayName("a replay that fails while sorted runs are on disk deletes them")
    void failureCleansUp() throws IOException {
        final List<String> rows = ExportRows.shuffled(ExportRows.extendedReportRows(scenario.subList(0, 3_000)), 4);
        final Path file = write("report.csv", List.of(ExportRows.EXTENDED_HEADER), rows);
        final Path runs = tmp.resolve("runs");
        final AtomicLong accepted = new AtomicLong();
        final TraceSink failing = new TraceSink() {
            @Override
            public void accept(final String key, final MessageTrace trace) {
                if (accepted.incrementAndGet() == 100) {
                    throw new IllegalStateException("sink broke");
                }
            }

            @Override
            public void reject(final DeadLetter deadLetter) {
            }
        };
        assertThrows(IllegalStateException.class, () -> new Replayer().replay(List.of(file),
                Fixtures.options().withSortBuffer(500).withSortDir(runs), failing));
        try (Stream<Path> left = Files.list(runs)) {
            assertEquals(0, left.count());
        }
    }

    @Test
    @DisplayName("rejected rows of a sorted export are dead letters with file:line and the event time of the row before them in the file")
    void deadLettersOfASortedFile() throws IOException {
        final Path file = Files.writeString(tmp.resolve("report.csv"), String.join("\r\n",
                "date_time_utc,event_id,connector_id,recipient_address,recipient_status,message_id",
                "2024-03-05T09:30:00Z,DEFER,Outbound,b@x.example,450 4.4.316 Connection refused,<m-2@c>",
                "2024-03-05T09:00:00Z,DEFER,Outbound,a@x.example,450 4.4.316 Connection refused,<m-1@c>",
                "not a time,DEFER,Outbound,x@x.example,450 4.4.316 Connection refused,<m-3@c>",
                "2024-03-05T09:10:00Z,DEFER,Outbound,c@x.example,450 4.4.316 Connection refused,<m-4@c>",
                "only,three,fields") + "\r\n");
        final Fixtures.Replayed r = Fixtures.replay(file);
        assertEquals(List.of("a@x.example", "c@x.example", "b@x.example"),
                r.sink().traces().stream().map(MessageTrace::getRecipient).toList());
        assertEquals(List.of(4L, 6L), r.sink().rejectedLines());
        final DeadLetter badTime = r.sink().deadLetters.get(0);
        assertEquals(file + ":4", badTime.getSource());
        assertEquals(Instant.parse("2024-03-05T09:00:00Z"), badTime.getEventTime(), "the record read before it, in file order");
        assertEquals(Instant.parse("2024-03-05T09:10:00Z"), r.sink().deadLetters.get(1).getEventTime());
        assertEquals(List.of(3L, 5L, 2L), r.sink().traces().stream().map(t -> t.getProvenance().getLine()).toList(),
                "records keep their own line");
    }

    @Test
    @DisplayName("a streamed Postfix log with lines far out of order warns, naming --sort; with --sort it comes out in order")
    void disorderedLogWarns() throws IOException {
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // two hours concatenated the wrong way round: 11:xx first, then 10:xx
            final int hour = i < 20 ? 11 : 10;
            lines.add(String.format(java.util.Locale.ROOT, "Mar  2 %02d:%02d:00 mx1 postfix/smtp[1]: %05X: to=<r%d@example.com>,"
                    + " relay=none, delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect to mx.example.com[192.0.2.1]:25:"
                    + " Connection refused)", hour, i % 20, 0xA0000 + i, i));
        }
        final Path log = Files.write(tmp.resolve("maillog"), lines);
        final ReplayOptions options = Fixtures.options().withReorderWindow(8);
        final List<String> warnings = new CopyOnWriteArrayList<>();
        final Fixtures.Replayed streamed = withWarnings(warnings, () -> Fixtures.replay(options, log));
        assertEquals(20, streamed.summary().outOfOrder());
        assertEquals(Map.of(log.toString(), 20L), streamed.summary().outOfOrderByFile());
        assertTrue(streamed.summary().render().contains("Replay with --sort"), streamed.summary().render());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith(log + ": records out of event-time order") && w.contains("--sort")),
                () -> "warnings: " + warnings);
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("20 records came out of event-time order") && w.contains("--sort")),
                () -> "warnings: " + warnings);
        assertEquals(0, streamed.summary().sorting().files(), "a log streams by default");

        warnings.clear();
        final Fixtures.Replayed sorted = withWarnings(warnings, () -> Fixtures.replay(options.withSortMode(SortOptions.Mode.ALWAYS), log));
        assertEquals(0, sorted.summary().outOfOrder());
        assertEquals(1, sorted.summary().sorting().files());
        assertTimeOrder(sorted.sink());
        assertEquals(List.of(), warnings);
        assertTrue(!sorted.summary().render().contains("--sort"));
    }

    @Test
    @DisplayName("an Exchange tracking log far out of order is counted and warned about the same way")
    void disorderedTrackingLog() throws IOException {
        final List<String> rows = ExportRows.extendedReportRows(scenario.subList(0, 10_000));
        final StringBuilder log = new StringBuilder("#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n"
                + "#Log-type: Message Tracking Log\r\n#Fields: " + String.join(",", io.mailflow.generate.ExchangeTrackingLogWriter.FIELDS) + "\r\n");
        ExportRows.newestFirst(rows).forEach(r -> log.append(r).append("\r\n"));
        final Path file = Files.writeString(tmp.resolve("MSGTRK2026030208-1.LOG"), log);
        final List<String> warnings = new CopyOnWriteArrayList<>();
        final Fixtures.Replayed r = withWarnings(warnings, () -> Fixtures.replay(file));
        assertEquals(TraceFormat.EXCHANGE_MSGTRK, r.summary().files().get(file.toString()));
        assertTrue(r.summary().outOfOrder() > 1_000);
        assertTrue(warnings.stream().anyMatch(w -> w.contains("--sort")), () -> "warnings: " + warnings);
        final Fixtures.Replayed sorted = Fixtures.replay(Fixtures.options().withSortMode(SortOptions.Mode.ALWAYS), file);
        assertEquals(0, sorted.summary().outOfOrder());
        assertTimeOrder(sorted.sink());
    }

    private static <T> T withWarnings(final List<String> warnings, final java.util.function.Supplier<T> run) {
        final List<Logger> loggers = List.of((Logger) LogManager.getLogger(TraceSource.class), (Logger) LogManager.getLogger(Replayer.class));
        final AbstractAppender capture = new AbstractAppender("capture-sort", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(final LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                    warnings.add(event.getMessage().getFormattedMessage());
                }
            }
        };
        capture.start();
        loggers.forEach(l -> l.addAppender(capture));
        try {
            return run.get();
        } finally {
            loggers.forEach(l -> l.removeAppender(capture));
            capture.stop();
        }
    }
}
