package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;

/**
 * A parsed record with what the merge orders it by: event time, then input order (the position of
 * its file in the sorted input list), then its sequence number within the file. The same inputs
 * therefore always merge into the same sequence.
 */
record SourcedTrace(MessageTrace trace, long eventTime, int sourceIndex, long seq, TraceFormat format)
        implements Comparable<SourcedTrace> {

    @Override
    public int compareTo(final SourcedTrace o) {
        int c = Long.compare(eventTime, o.eventTime);
        if (c == 0) {
            c = Integer.compare(sourceIndex, o.sourceIndex);
        }
        return c != 0 ? c : Long.compare(seq, o.seq);
    }
}
