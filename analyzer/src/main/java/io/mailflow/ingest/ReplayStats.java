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

    void skipped(final String reason) {
        count(skippedByReason, reason);
    }

    void rejected(final String reason) {
        // "unreadable date-time 'x'" for many x is one reason
        count(rejectedByReason, QUOTED.matcher(reason).replaceAll("'…'"));
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
