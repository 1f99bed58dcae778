package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;

/**
 * A parsed record with what the merge orders it by: event time, then its row key, then input
 * order (the position of its file in the sorted input list), then its sequence number within the
 * file. The same inputs therefore always merge into the same sequence.
 *
 * <p>The row key is 0 for records of streamed files, so among them ties go to the earlier input,
 * then the earlier line. Records of sorted files ({@link SortedSource}) carry their event type's
 * rank and a hash of the text of the row they were read from ({@link SortedSource#tieKey}): rows
 * with the same event time then come out in an order that depends on what they say, not on where
 * they stand, so an export replays to the same sequence whatever the order of its rows and however
 * it is split into files. Records of one row and type share the key and keep their order by
 * sequence number.
 */
record SourcedTrace(MessageTrace trace, long eventTime, int sourceIndex, long seq, TraceFormat format, long rowKey)
        implements Comparable<SourcedTrace> {

    @Override
    public int compareTo(final SourcedTrace o) {
        int c = Long.compare(eventTime, o.eventTime);
        if (c == 0) {
            c = Long.compare(rowKey, o.rowKey);
        }
        if (c == 0) {
            c = Integer.compare(sourceIndex, o.sourceIndex);
        }
        return c != 0 ? c : Long.compare(seq, o.seq);
    }
}
