package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("dates of Exchange Online CSV exports: the file's culture decides day/month order, never the single value")
class DateOrderTest {

    /** How Export-Csv writes a DateTime under each culture (its short date and long time patterns). */
    enum Culture {
        EN_US("en-US", "M/d/yyyy h:mm:ss a"),
        EN_GB("en-GB", "dd/MM/yyyy HH:mm:ss"),
        FR_FR("fr-FR", "dd/MM/yyyy HH:mm:ss"),
        ES_ES("es-ES", "dd/MM/yyyy H:mm:ss"),
        DE_DE("de-DE", "dd.MM.yyyy HH:mm:ss"),
        NL_NL("nl-NL", "d-M-yyyy HH:mm:ss"),
        SV_SE("sv-SE", "yyyy-MM-dd HH:mm:ss"),
        ISO("ISO", "yyyy-MM-dd'T'HH:mm:ss");

        final String id;
        final DateTimeFormatter formatter;

        Culture(final String id, final String pattern) {
            this.id = id;
            this.formatter = DateTimeFormatter.ofPattern(pattern, Locale.US);
        }

        String format(final Instant t) {
            return formatter.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
        }

        @Override
        public String toString() {
            return id;
        }
    }

    /** One recipient's outcome at one time, written by each export format in its own words. */
    record Event(String at, String status, String id, String recipient) {
        Instant time() {
            return Instant.parse(at);
        }
    }

    /** 2 March (ambiguous anywhere), afternoon, midnight, noon, and 13 March, whose 13 settles the order. */
    static final List<Event> EVENTS = List.of(
            new Event("2026-03-02T10:00:00Z", "Pending", "o-1", "lee@fabrikam.example"),
            new Event("2026-03-02T14:30:05Z", "Delivered", "o-2", "pat@fabrikam.example"),
            new Event("2026-03-03T00:00:00Z", "Failed", "o-3", "gone@fabrikam.example"),
            new Event("2026-03-03T12:00:00Z", "Delivered", "o-4", "kim@contoso.com"),
            new Event("2026-03-13T09:00:00Z", "Pending", "o-5", "lee@fabrikam.example"));

    /** Only days of 12 or less: 2 March could as well be 3 February. */
    static final List<Event> AMBIGUOUS = EVENTS.subList(0, 4);

    /** The three CSV exports, each written the way its cmdlet or download writes it. */
    enum Export {
        SUMMARY(TraceFormat.EXCHANGE_ONLINE_SUMMARY) {
            @Override
            String write(final Culture c, final List<Event> events) {
                final StringBuilder sb = new StringBuilder("#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n")
                        .append(q("Organization", "MessageId", "Received", "SenderAddress", "RecipientAddress", "Subject",
                                "Status", "ToIP", "FromIP", "Size", "MessageTraceId", "StartDate", "EndDate", "Index"));
                int i = 0;
                for (final Event e : events) {
                    sb.append(q("contoso.onmicrosoft.com", "<" + e.id + "@contoso.com>", c.format(e.time()), "kim@contoso.com",
                            e.recipient, "Order, " + e.id, e.status, "203.0.113.25", "10.0.0.5", "1234", "0e5c-" + e.id,
                            c.format(START), c.format(END), String.valueOf(i++)));
                }
                return sb.toString();
            }
        },
        DETAIL(TraceFormat.EXCHANGE_ONLINE_DETAIL) {
            @Override
            String write(final Culture c, final List<Event> events) {
                final StringBuilder sb = new StringBuilder("#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTraceDetail\r\n")
                        .append(q("Organization", "MessageId", "MessageTraceId", "Date", "Event", "Action", "Detail", "Data",
                                "StartDate", "EndDate", "RecipientAddress", "SenderAddress"));
                for (final Event e : events) {
                    final String[] eventAndDetail = switch (e.status) {
                        case "Pending" -> new String[] {"Defer", "LastError: 450 4.4.316 Connection refused"};
                        case "Failed" -> new String[] {"Fail", "Reason: 550 5.1.1 RESOLVER.ADR.RecipNotFound"};
                        default -> new String[] {"Deliver", "The message was successfully delivered."};
                    };
                    sb.append(q("contoso.onmicrosoft.com", "<" + e.id + "@contoso.com>", "0e5c-" + e.id, c.format(e.time()),
                            eventAndDetail[0], "", eventAndDetail[1],
                            "<root><MEP Name=\"ConnectorId\" String=\"Outbound to Fabrikam\" /></root>",
                            c.format(START), c.format(END), e.recipient, "kim@contoso.com"));
                }
                return sb.toString();
            }
        },
        EXTENDED(TraceFormat.EXCHANGE_ONLINE_CSV) {
            @Override
            String write(final Culture c, final List<Event> events) {
                final StringBuilder sb = new StringBuilder("\uFEFF").append(q("origin_timestamp_utc", "date_time_utc", "event_id",
                        "connector_id", "recipient_address", "recipient_status", "message_id"));
                for (final Event e : events) {
                    final String[] eventAndStatus = switch (e.status) {
                        case "Pending" -> new String[] {"DEFER", "450 4.4.316 Connection refused"};
                        case "Failed" -> new String[] {"FAIL", "550 5.1.1 RESOLVER.ADR.RecipNotFound"};
                        default -> new String[] {"DELIVER", "250 2.1.5 OK"};
                    };
                    sb.append(q(c.format(e.time().minusSeconds(60)), c.format(e.time()), eventAndStatus[0], "Outbound to Fabrikam",
                            e.recipient, eventAndStatus[1], "<" + e.id + "@contoso.com>"));
                }
                return sb.toString();
            }
        };

        /** The query range Export-Csv writes in every row; no day above 12, so the events alone decide. */
        static final Instant START = Instant.parse("2026-03-01T00:00:00Z");
        static final Instant END = Instant.parse("2026-03-11T00:00:00Z");

        final TraceFormat format;

        Export(final TraceFormat format) {
            this.format = format;
        }

        abstract String write(Culture culture, List<Event> events);

        private static String q(final String... fields) {
            final List<String> quoted = new ArrayList<>();
            for (final String f : fields) {
                quoted.add('"' + f.replace("\"", "\"\"") + '"');
            }
            return String.join(",", quoted) + "\r\n";
        }
    }

    static Stream<Arguments> everyExportInEveryCulture() {
        return Stream.of(Export.values()).flatMap(e -> Stream.of(Culture.values()).map(c -> Arguments.of(e, c)));
    }

    @ParameterizedTest(name = "{0} written under {1}")
    @MethodSource("everyExportInEveryCulture")
    @DisplayName("an export written under any supported culture gives the same records as the ISO file")
    void sameRecordsInEveryCulture(final Export export, final Culture culture, @TempDir final Path tmp) throws IOException {
        final Fixtures.Replayed iso = replay(tmp, "iso.csv", export.write(Culture.ISO, EVENTS), Fixtures.options());
        final Fixtures.Replayed r = replay(tmp, culture.id + ".csv", export.write(culture, EVENTS), Fixtures.options());

        assertEquals(export.format, r.summary().files().values().iterator().next());
        assertEquals(List.of(), r.sink().deadLetters.stream().map(DeadLetter::getReason).toList());
        assertEquals(EVENTS.stream().map(Event::time).toList(), r.sink().traces().stream().map(MessageTrace::getEventTime).toList(),
                "2 March is 2 March, 12:00:00 AM is midnight, 12:00:00 PM noon, 2:30:05 PM is 14:30:05");
        assertEquals(withoutFileName(iso.sink().traces()), withoutFileName(r.sink().traces()));
    }

    @Test
    @DisplayName("extended report: origin_timestamp_utc is read in the same order as date_time_utc (it becomes the arrival)")
    void originTimestampInTheFilesOrder(@TempDir final Path tmp) throws IOException {
        final Fixtures.Replayed r = replay(tmp, "extended.csv", Export.EXTENDED.write(Culture.EN_GB, EVENTS), Fixtures.options());
        for (final MessageTrace t : r.sink().traces()) {
            assertEquals(t.getEventTime().minusSeconds(60), t.getArrivalTime());
        }
    }

    @Nested
    @DisplayName("a file whose every day is 12 or less")
    class Ambiguous {

        @Test
        @DisplayName("is refused before anything is sent, naming the file, an example value and the option to give")
        void refused(@TempDir final Path tmp) throws IOException {
            final Path file = Files.writeString(tmp.resolve("trace.csv"), Export.SUMMARY.write(Culture.EN_GB, AMBIGUOUS));
            final CollectingSink sink = new CollectingSink();
            final UnsupportedTraceFileException e = assertThrows(UnsupportedTraceFileException.class,
                    () -> new Replayer().replay(List.of(file), Fixtures.options(), sink));
            assertEquals(file + ": dates like 02/03/2026 10:00:00 could be day/month or month/day (every day in the file "
                    + "is 12 or less); give --date-format dmy or --date-format mdy (or a culture: --date-format en-GB)",
                    e.getMessage());
            assertEquals(file, e.file());
            assertTrue(sink.records.isEmpty() && sink.deadLetters.isEmpty() && sink.flushes == 0, "nothing sent");
        }

        @Test
        @DisplayName("is refused also when found in a directory: it is a trace log, leaving it out would lose it silently")
        void refusedInADirectory(@TempDir final Path tmp) throws IOException {
            Files.createDirectories(tmp.resolve("exports"));
            Files.writeString(tmp.resolve("exports/detail.csv"), Export.DETAIL.write(Culture.DE_DE, AMBIGUOUS));
            final UnsupportedTraceFileException e = assertThrows(UnsupportedTraceFileException.class,
                    () -> new Replayer().replay(List.of(tmp.resolve("exports")), Fixtures.options(), new CollectingSink()));
            assertTrue(e.getMessage().startsWith(tmp.resolve("exports/detail.csv") + ": dates like 02.03.2026 10:00:00 could be"),
                    e.getMessage());
        }

        @Test
        @DisplayName("is read with --date-format dmy: 02/03/2026 is 2 March, not 3 February")
        void readWithTheOption(@TempDir final Path tmp) throws IOException {
            final List<Instant> expected = AMBIGUOUS.stream().map(Event::time).toList();
            for (final String option : List.of("dmy", "en-GB", "EN-gb", "fr-fr")) {
                final Fixtures.Replayed r = replay(tmp, "trace.csv", Export.SUMMARY.write(Culture.EN_GB, AMBIGUOUS),
                        Fixtures.options().withDateOrder(DateOrder.fromOption(option)));
                assertEquals(expected, r.sink().traces().stream().map(MessageTrace::getEventTime).toList(), option);
                assertEquals(Instant.parse("2026-03-02T10:00:00Z"), r.sink().atLine(3).getEventTime());
            }
        }

        @Test
        @DisplayName("an en-US file is read with --date-format mdy (or en-US): 3/2/2026 is 2 March")
        void enUsWithTheOption(@TempDir final Path tmp) throws IOException {
            final Fixtures.Replayed r = replay(tmp, "trace.csv", Export.DETAIL.write(Culture.EN_US, AMBIGUOUS),
                    Fixtures.options().withDateOrder(DateOrder.fromOption("en-US")));
            assertEquals(AMBIGUOUS.stream().map(Event::time).toList(), r.sink().traces().stream().map(MessageTrace::getEventTime).toList());
        }

        @Test
        @DisplayName("ISO and yyyy-MM-dd files are never ambiguous: they need no option")
        void yearFirstNeedsNothing(@TempDir final Path tmp) throws IOException {
            for (final Culture c : List.of(Culture.ISO, Culture.SV_SE)) {
                final Fixtures.Replayed r = replay(tmp, "trace.csv", Export.SUMMARY.write(c, AMBIGUOUS), Fixtures.options());
                assertEquals(AMBIGUOUS.stream().map(Event::time).toList(), r.sink().traces().stream().map(MessageTrace::getEventTime).toList());
            }
        }
    }

    @Test
    @DisplayName("a file with a day above 12 in one row and a month above 12 in another is refused: its rows disagree")
    void contradictoryFileRefused(@TempDir final Path tmp) throws IOException {
        final String text = Export.SUMMARY.write(Culture.EN_GB, EVENTS)
                + Export.SUMMARY.write(Culture.EN_US, List.of(new Event("2026-03-14T09:00:00Z", "Pending", "o-6", "x@fabrikam.example")))
                        .lines().skip(2).findFirst().orElseThrow() + "\r\n";
        final Path file = Files.writeString(tmp.resolve("mixed.csv"), text);
        final CollectingSink sink = new CollectingSink();
        final UnsupportedTraceFileException e = assertThrows(UnsupportedTraceFileException.class,
                () -> new Replayer().replay(List.of(file), Fixtures.options(), sink));
        assertTrue(e.getMessage().startsWith(file + ": its dates disagree on the order of day and month: "
                + "13/03/2026 09:00:00 (line 7) has the day first, 3/14/2026 9:00:00 AM (line 8) the month first"), e.getMessage());
        assertTrue(sink.records.isEmpty() && sink.deadLetters.isEmpty(), "nothing sent");
    }

    @Test
    @DisplayName("--date-format wins over the file: rows that do not fit it are dead letters saying why, never swapped")
    void optionWins(@TempDir final Path tmp) throws IOException {
        // detection would say day first (13/03/2026); the user says month first
        final Fixtures.Replayed r = replay(tmp, "gb.csv", Export.SUMMARY.write(Culture.EN_GB, EVENTS),
                Fixtures.options().withDateOrder(DateOrder.MONTH_FIRST));
        assertEquals(Instant.parse("2026-02-03T10:00:00Z"), r.sink().atLine(3).getEventTime(), "02/03 read as the user said");
        assertEquals(List.of(7L), r.sink().rejectedLines());
        assertEquals("unreadable Received '13/03/2026 09:00:00': 13 cannot be a month with --date-format mdy",
                r.sink().deadLetters.get(0).getReason());

        final Fixtures.Replayed ymd = replay(tmp, "gb.csv", Export.SUMMARY.write(Culture.EN_GB, EVENTS),
                Fixtures.options().withDateOrder(DateOrder.YEAR_FIRST));
        assertEquals(0, ymd.summary().records());
        assertEquals("unreadable Received '02/03/2026 10:00:00': the year is last, not first as --date-format ymd says",
                ymd.sink().deadLetters.get(0).getReason());
    }

    @Test
    @DisplayName("a file none of whose dates mailflow reads is refused, not replayed as nothing but dead letters")
    void unreadableDatesRefused(@TempDir final Path tmp) throws IOException {
        final String text = Export.SUMMARY.write(Culture.DE_DE, EVENTS).replace(".2026 ", ".26 ");
        final Path file = Files.writeString(tmp.resolve("two-digit-years.csv"), text);
        final UnsupportedTraceFileException e = assertThrows(UnsupportedTraceFileException.class,
                () -> new Replayer().replay(List.of(file), Fixtures.options(), new CollectingSink()));
        assertTrue(e.getMessage().startsWith(file + ": none of its dates is in a form mailflow reads, e.g. 02.03.26 10:00:00 (line 3)"),
                e.getMessage());
    }

    @Test
    @DisplayName("the whole file is scanned, gzip too: a day above 12 in the last row settles the order of the first")
    void gzipScannedToTheEnd(@TempDir final Path tmp) throws IOException {
        final Path gz = tmp.resolve("trace.csv.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(Export.SUMMARY.write(Culture.DE_DE, EVENTS).getBytes(StandardCharsets.UTF_8));
        }
        final Fixtures.Replayed r = Fixtures.replay(Fixtures.options(), gz);
        assertEquals(EVENTS.stream().map(Event::time).toList(), r.sink().traces().stream().map(MessageTrace::getEventTime).toList());
    }

    @Nested
    @DisplayName("one value")
    class Values {

        @Test
        @DisplayName("12-hour times: 12:00:00 AM is midnight, 12:00:00 PM noon; seconds optional; fractions and offsets kept")
        void timesOfDay() {
            assertEquals(Instant.parse("2026-03-02T00:00:00Z"), Timestamps.parse("3/2/2026 12:00:00 AM", DateOrder.MONTH_FIRST));
            assertEquals(Instant.parse("2026-03-02T12:00:00Z"), Timestamps.parse("3/2/2026 12:00:00 PM", DateOrder.MONTH_FIRST));
            assertEquals(Instant.parse("2026-03-02T14:30:00Z"), Timestamps.parse("3/2/2026 2:30 pm", DateOrder.MONTH_FIRST));
            assertEquals(Instant.parse("2026-03-02T10:00:00.5Z"), Timestamps.parse("02.03.2026 10:00:00,5", DateOrder.DAY_FIRST));
            assertEquals(Instant.parse("2026-03-02T10:00:00Z"), Timestamps.parse("2.3.2026 10.00.00", DateOrder.DAY_FIRST));
            assertEquals(Instant.parse("2026-03-02T09:00:00Z"), Timestamps.parse("02/03/2026 10:00:00 +01:00", DateOrder.DAY_FIRST));
            assertEquals(Instant.parse("2026-03-02T00:00:00Z"), Timestamps.parse("2-3-2026", DateOrder.DAY_FIRST));
            assertEquals(Instant.parse("2026-03-02T10:00:00.123Z"), Timestamps.parse("2026-03-02T10:00:00.1230000Z", null));
            assertEquals(Instant.parse("2026-03-02T10:00:00Z"), Timestamps.parse("2026/03/02 10:00:00", null));
        }

        @Test
        @DisplayName("impossible dates and times are refused with the reason")
        void impossible() {
            assertThrows(DateTimeException.class, () -> Timestamps.parse("31/02/2026 10:00:00", DateOrder.DAY_FIRST));
            assertThrows(DateTimeException.class, () -> Timestamps.parse("3/2/2026 13:00:00 PM", DateOrder.MONTH_FIRST));
            assertThrows(DateTimeException.class, () -> Timestamps.parse("02/03/2026 24:00:00", DateOrder.DAY_FIRST));
            assertEquals("14 cannot be a month with --date-format dmy",
                    assertThrows(DateTimeException.class, () -> Timestamps.parse("3/14/2026", DateOrder.DAY_FIRST)).getMessage());
        }

        @Test
        @DisplayName("without a date order a day/month date is not guessed: formats without culture dates read ISO only")
        void noGuessing() {
            assertNull(Timestamps.parseUtc("3/2/2026 10:00:00 AM"), "was 2 March by guess before");
            assertNull(Timestamps.parseUtc("13/03/2026 09:00:00"));
            assertEquals(Instant.parse("2026-03-02T10:00:00Z"), Timestamps.parseUtc("2026-03-02 10:00:00"));
            assertEquals(Instant.ofEpochMilli(1_772_445_600_000L), Timestamps.parseUtc("1772445600000"));
        }
    }

    @Test
    @DisplayName("--date-format values: dmy, mdy, ymd or a culture in any case; anything else names the accepted values")
    void optionValues() {
        assertEquals(DateOrder.MONTH_FIRST, DateOrder.fromOption("en-us"));
        assertEquals(DateOrder.DAY_FIRST, DateOrder.fromOption("DE-de"));
        assertEquals(DateOrder.DAY_FIRST, DateOrder.fromOption("nl_NL"));
        assertEquals(DateOrder.DAY_FIRST, DateOrder.fromOption("es-ES"));
        assertEquals(DateOrder.DAY_FIRST, DateOrder.fromOption("it-IT"));
        assertEquals(DateOrder.YEAR_FIRST, DateOrder.fromOption("sv-SE"));
        assertEquals(DateOrder.YEAR_FIRST, DateOrder.fromOption("iso"));
        assertEquals(DateOrder.YEAR_FIRST, DateOrder.fromOption("YMD"));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DateOrder.fromOption("en-AU"));
        assertEquals("unknown date format 'en-AU', expected one of: dmy, mdy, ymd, or a culture: en-US (mdy), en-GB (dmy), "
                + "fr-FR (dmy), de-DE (dmy), nl-NL (dmy), es-ES (dmy), it-IT (dmy), sv-SE (ymd), ISO (ymd)", e.getMessage());
    }

    private static Fixtures.Replayed replay(final Path dir, final String name, final String text, final ReplayOptions options)
            throws IOException {
        return Fixtures.replay(options, Files.writeString(dir.resolve(name), text));
    }

    /** The records as they would be read from a file of another name (provenance keeps format and line). */
    private static List<MessageTrace> withoutFileName(final List<MessageTrace> traces) {
        return traces.stream().map(t -> MessageTrace.newBuilder(t)
                .setProvenance(new Provenance(t.getProvenance().getFormat(), "-", t.getProvenance().getLine())).build()).toList();
    }
}
