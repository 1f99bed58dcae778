package io.mailflow.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.MessageKeys;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.ingest.ReplaySummary;
import io.mailflow.ingest.Replayer;
import io.mailflow.ingest.SortOptions;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `generate` writes, `replay` reads: the generated logs go through mailflow's own ingest parsers. */
class GeneratedLogsParseTest {

    private static GeneratorSettings.Builder traffic() {
        return GeneratorSettings.builder().seed(5).duration(Duration.ofHours(3)).expiry(Duration.ofHours(1)).permanentRate(0.01)
            .sporadicRate(0.01).connectors(ConnectorProfile.parseList("internet:10,partner-contoso:10,mailbox:10"))
            .outage(Outage.parse("partner-contoso:4.4.316:2h@+20m"));
    }

    /** Collects what the replay reads, and what it rejects. */
    private static final class Collected implements io.mailflow.ingest.TraceSink {
        final List<MessageTrace> traces = new ArrayList<>();
        final List<String> keys = new ArrayList<>();
        final List<DeadLetter> rejected = new ArrayList<>();

        @Override
        public void accept(final String key, final MessageTrace trace) {
            traces.add(trace);
            keys.add(key);
        }

        @Override
        public void reject(final DeadLetter deadLetter) {
            rejected.add(deadLetter);
        }
    }

    private static Map<EventType, Long> countByType(final List<MessageTrace> traces) {
        return traces.stream().collect(Collectors.groupingBy(MessageTrace::getEventType, Collectors.counting()));
    }

    @Test
    @DisplayName("a generated Exchange tracking log replays without rejects, one record per recipient, codes and keys intact")
    void exchangeLogReplays(@TempDir final Path dir) throws Exception {
        final CollectingSink generated = new CollectingSink();
        final GeneratorSettings settings = traffic().build();
        try (ExchangeTrackingLogWriter writer = ExchangeTrackingLogWriter.toDirectory(dir, false, settings.start())) {
            new TrafficGenerator(settings).generate(new Tee(writer, generated));
        }
        final Collected read = new Collected();
        final ReplaySummary summary = new Replayer().replay(List.of(dir.resolve("MSGTRK2026030208-1.LOG")), ReplayOptions.defaults(), read);
        assertEquals(0, summary.rejected(), () -> "rejected: " + read.rejected);
        assertEquals(countByType(generated.traces), countByType(read.traces));
        assertSameDeferrals(generated.traces, read.traces);
        assertEquals(generated.traces.stream().map(MessageKeys::of).collect(Collectors.toSet()),
            read.traces.stream().map(MessageKeys::of).collect(Collectors.toSet()), "records land under the same message keys");
    }

    @Test
    @DisplayName("generated Postfix lines replay without rejects; deferrals, bounces and expiries read back")
    void postfixLogReplays(@TempDir final Path dir) throws Exception {
        final CollectingSink generated = new CollectingSink();
        final GeneratorSettings settings = traffic().dialect(PostfixDialect.INSTANCE).build();
        final Path log = dir.resolve("mail.log");
        try (BufferedWriter out = Files.newBufferedWriter(log, StandardCharsets.UTF_8);
             PostfixSyslogWriter writer = new PostfixSyslogWriter(out, PostfixSyslogWriter.TimestampStyle.RFC3339)) {
            new TrafficGenerator(settings).generate(new Tee(writer, generated));
        }
        final Collected read = new Collected();
        final ReplaySummary summary = new Replayer().replay(List.of(log), ReplayOptions.defaults(), read);
        assertEquals(0, summary.rejected(), () -> "rejected: " + read.rejected);
        final Map<EventType, Long> wrote = countByType(generated.traces);
        final Map<EventType, Long> got = countByType(read.traces);
        for (final EventType type : List.of(EventType.SEND, EventType.DELIVER, EventType.DEFER, EventType.FAIL)) {
            assertEquals(wrote.get(type), got.get(type), type + " records: wrote " + wrote + ", read " + got);
        }
        assertTrue(got.getOrDefault(EventType.EXPIRE, 0L) > 0, "expiries read back: " + got);
        assertSameDeferrals(generated.traces, read.traces);
    }

    @Test
    @DisplayName("generated JSON lines replay to exactly the records generated, in order, under the same keys")
    void jsonLinesReplayToTheSameRecords(@TempDir final Path dir) throws Exception {
        final CollectingSink generated = new CollectingSink();
        final Path file = dir.resolve("traces.jsonl");
        try (JsonLinesTraceWriter writer = new JsonLinesTraceWriter(Files.newOutputStream(file))) {
            new TrafficGenerator(traffic().build()).generate(new Tee(writer, generated));
        }
        // the generator writes event-time order, so streamed the lines read back in exactly its order
        final Collected read = new Collected();
        final ReplaySummary summary = new Replayer().replay(List.of(file),
            ReplayOptions.defaults().withSortMode(SortOptions.Mode.NEVER), read);
        assertEquals(0, summary.rejected(), () -> "rejected: " + read.rejected);
        assertTrue(generated.traces.size() > 1000, "a busy run: " + generated.traces.size());
        assertTrue(generated.traces.stream().anyMatch(t -> t.getSubject() != null && t.getSubject().contains("\"")),
            "a subject with quotes is among them");
        assertEquals(generated.traces, read.traces, "every field, the generator's provenance included");
        assertEquals(generated.traces.stream().map(MessageKeys::of).toList(), read.keys);

        // by default JSON lines are sorted (an export): the same records at the same times; records of
        // one event time in the sort's own order (event type, then content), not necessarily the generator's
        final Collected sorted = new Collected();
        new Replayer().replay(List.of(file), ReplayOptions.defaults(), sorted);
        assertEquals(generated.traces.stream().map(MessageTrace::getEventTime).toList(),
            sorted.traces.stream().map(MessageTrace::getEventTime).toList());
        assertEquals(generated.traces.stream().map(MessageTrace::toString).sorted().toList(),
            sorted.traces.stream().map(MessageTrace::toString).sorted().toList());
    }

    private static void assertSameDeferrals(final List<MessageTrace> wrote, final List<MessageTrace> read) {
        final Function<MessageTrace, String> deferral = t -> t.getEventTime() + " " + t.getRecipient() + " " + t.getStatusCode();
        final List<String> a = wrote.stream().filter(t -> t.getEventType() == EventType.DEFER).map(deferral).sorted().toList();
        final List<String> b = read.stream().filter(t -> t.getEventType() == EventType.DEFER).map(deferral).sorted().toList();
        assertTrue(a.size() > 100);
        assertEquals(a, b, "every deferral with its time, recipient and status code");
    }

    /** Sends every record to two sinks, so a test knows what the writer was given. */
    private record Tee(TraceOutput a, TraceOutput b) implements TraceOutput {
        @Override
        public void accept(final MessageTrace trace) throws java.io.IOException {
            a.accept(trace);
            b.accept(trace);
        }

        @Override
        public void close() {
        }
    }
}
