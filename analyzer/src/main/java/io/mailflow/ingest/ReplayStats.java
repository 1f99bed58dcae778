package io.mailflow.ingest;

import io.mailflow.avro.EventType;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Counters a replay collects; turned into a {@link ReplaySummary} at the end. */
final class ReplayStats {
    /** Distinct rejection reasons kept; the rest are counted under one "other" reason. */
    static final int MAX_REASONS = 100;
    private static final Pattern QUOTED = Pattern.compile("'[^']*'");

    final Map<TraceFormat, Long> recordsByFormat = new EnumMap<>(TraceFormat.class);
    final Map<EventType, Long> recordsByEventType = new EnumMap<>(EventType.class);
    final Map<String, Long> skippedByReason = new TreeMap<>();
    final Map<String, Long> rejectedByReason = new TreeMap<>();
    final Map<String, TraceFormat> files = new LinkedHashMap<>();
    final Map<String, String> filesNotRead = new LinkedHashMap<>();
    final Map<String, Long> outOfOrderByFile = new LinkedHashMap<>();
    final Map<String, Long> recordsByFile = new java.util.HashMap<>();
    final Map<String, Long> rejectedByFile = new LinkedHashMap<>();
    final Map<String, String> firstRejectionByFile = new LinkedHashMap<>();
    long records;
    long outOfOrder;
    int maxOpenFiles;
    int sortedFiles;
    long sortedRecords;
    int runsSpilled;
    long bytesSpilled;
    long sortNanos;
    long peakSortRecords;

    void record(final SourcedTrace t) {
        records++;
        recordsByFormat.merge(t.format(), 1L, Long::sum);
        recordsByEventType.merge(t.trace().getEventType(), 1L, Long::sum);
    }

    /** A record parsed from {@code file} (JSON lines carry their own provenance, so the file is counted where it is read). */
    void parsed(final String file) {
        recordsByFile.merge(file, 1L, Long::sum);
    }

    void skipped(final String reason) {
        count(skippedByReason, reason);
    }

    void rejected(final String file, final String reason) {
        // "unreadable date-time 'x'" for many x is one reason
        count(rejectedByReason, QUOTED.matcher(reason).replaceAll("'…'"));
        rejectedByFile.merge(file, 1L, Long::sum);
        firstRejectionByFile.putIfAbsent(file, reason);
    }

    /**
     * The files read of which not a single record came out while lines were rejected (an Exchange
     * log without its #Fields header, a wrong --format), with why: such a replay must not look
     * successful. A file of comments or skipped lines alone is not one of them.
     */
    Map<String, String> filesWithNothingRead() {
        final Map<String, String> out = new LinkedHashMap<>();
        files.keySet().forEach(file -> {
            final long rejected = rejectedByFile.getOrDefault(file, 0L);
            if (rejected > 0 && recordsByFile.getOrDefault(file, 0L) == 0) {
                out.put(file, String.format(java.util.Locale.ROOT, "%,d line%s dead-lettered, first: %s", rejected,
                        rejected == 1 ? "" : "s", firstRejectionByFile.get(file)));
            }
        });
        return out;
    }

    /** Counts a record of {@code file} that left the reorder buffer after a later one; returns the file's count. */
    long outOfOrder(final String file) {
        outOfOrder++;
        return outOfOrderByFile.merge(file, 1L, Long::sum);
    }

    private static void count(final Map<String, Long> map, final String reason) {
        final String key = map.containsKey(reason) || map.size() < MAX_REASONS ? reason : "other reasons";
        map.merge(key, 1L, Long::sum);
    }
}
