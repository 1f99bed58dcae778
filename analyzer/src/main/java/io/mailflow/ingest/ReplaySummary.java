package io.mailflow.ingest;

import io.mailflow.avro.EventType;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * What a replay did: records per format and per event type, skipped lines per reason, rejected
 * lines per reason (each also sent as a dead letter), and the files read.
 *
 * @param files           each file read, with its format
 * @param filesNotRead    files found in a directory that are not trace logs (or empty), with why
 * @param outOfOrder      records that left their file's reorder buffer later than a successor
 * @param sinkFailures    records the sink could not deliver (e.g. Kafka send errors)
 * @param maxOpenFiles    files open at once at the peak (files open when the replay reaches them)
 * @param outOfOrderByFile {@code outOfOrder} per streamed file that had any
 * @param sorting         what sorting the files sorted before the merge took
 * @param nothingRead     files of which not a single record could be read although lines were
 *                        rejected (all of them dead letters), with how many and the first reason
 */
public record ReplaySummary(
        Map<String, TraceFormat> files,
        Map<String, String> filesNotRead,
        long records,
        Map<TraceFormat, Long> recordsByFormat,
        Map<EventType, Long> recordsByEventType,
        Map<String, Long> skippedByReason,
        Map<String, Long> rejectedByReason,
        long outOfOrder,
        long bytesRead,
        Duration elapsed,
        long sinkFailures,
        int maxOpenFiles,
        Map<String, Long> outOfOrderByFile,
        Sorting sorting,
        Map<String, String> nothingRead) {

    /**
     * The files sorted before the merge.
     *
     * @param files        files sorted
     * @param records      their records
     * @param runsSpilled  sorted runs written to disk (0: every file was sorted in memory)
     * @param bytesSpilled bytes written to the sort directory, intermediate merge passes included
     * @param elapsed      time spent reading and sorting them (before the merge)
     * @param peakInMemory most records held in memory for sorting at once (at most the sort buffer)
     */
    public record Sorting(int files, long records, int runsSpilled, long bytesSpilled, Duration elapsed, long peakInMemory) {
        public static final Sorting NONE = new Sorting(0, 0, 0, 0, Duration.ZERO, 0);
    }

    public ReplaySummary {
        outOfOrderByFile = outOfOrderByFile == null ? Map.of() : outOfOrderByFile;
        sorting = sorting == null ? Sorting.NONE : sorting;
        nothingRead = nothingRead == null ? Map.of() : nothingRead;
    }

    public long skipped() {
        return skippedByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    public long rejected() {
        return rejectedByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    public long recordsOf(final EventType type) {
        return recordsByEventType.getOrDefault(type, 0L);
    }

    /** Readable multi-line text for the end of a replay. */
    public String render() {
        final StringBuilder sb = new StringBuilder();
        final double seconds = Math.max(elapsed.toMillis(), 1) / 1000.0;
        sb.append(String.format(Locale.ROOT, "Replayed %,d records from %d file(s) in %.1f s (%,.0f records/s, %,d bytes read)%n",
                records, files.size(), seconds, records / seconds, bytesRead));
        section(sb, "Records per format", recordsByFormat);
        section(sb, "Records per event type", recordsByEventType);
        sb.append(String.format(Locale.ROOT, "Skipped lines (not trace events): %,d%n", skipped()));
        rows(sb, skippedByReason);
        sb.append(String.format(Locale.ROOT, "Rejected lines (sent as dead letters): %,d%n", rejected()));
        rows(sb, rejectedByReason);
        if (sorting.files() > 0) {
            sb.append(String.format(Locale.ROOT, "Sorted by event time before the merge: %,d records of %d file(s) in %.1f s"
                    + " (at most %,d in memory), %s%n",
                    sorting.records(), sorting.files(), sorting.elapsed().toMillis() / 1000.0, sorting.peakInMemory(),
                    sorting.runsSpilled() == 0 ? "in memory"
                            : String.format(Locale.ROOT, "%,d runs spilled to disk (%,d bytes written)", sorting.runsSpilled(),
                                    sorting.bytesSpilled())));
        }
        if (outOfOrder > 0) {
            sb.append(String.format(Locale.ROOT, "Records out of event-time order beyond the reorder window: %,d%n", outOfOrder));
            rows(sb, outOfOrderByFile);
            sb.append("  These files were streamed, so the analysis saw event time go back and its results for them are not\n"
                    + "  reliable. Replay with --sort to sort every file by event time before the merge.\n");
        }
        if (!filesNotRead.isEmpty()) {
            sb.append("Files not read:\n");
            filesNotRead.forEach((f, why) -> sb.append("  ").append(f).append(": ").append(why).append('\n'));
        }
        if (!nothingRead.isEmpty()) {
            sb.append("Files of which not a single record could be read:\n");
            nothingRead.forEach((f, why) -> sb.append("  ").append(f).append(": ").append(why).append('\n'));
        }
        if (sinkFailures > 0) {
            sb.append(String.format(Locale.ROOT, "Records the sink failed to deliver: %,d%n", sinkFailures));
        }
        return sb.toString();
    }

    private static void section(final StringBuilder sb, final String title, final Map<?, Long> counts) {
        sb.append(title).append(":\n");
        if (counts.isEmpty()) {
            sb.append("  (none)\n");
        }
        rows(sb, counts);
    }

    private static void rows(final StringBuilder sb, final Map<?, Long> counts) {
        counts.entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(e -> sb.append(String.format(Locale.ROOT, "  %,10d  %s%n", e.getValue(), label(e.getKey()))));
    }

    private static String label(final Object key) {
        return key instanceof TraceFormat f ? f.id() : String.valueOf(key);
    }
}
