package io.mailflow.ingest;

import java.util.List;
import java.util.PriorityQueue;

/**
 * k-way merge of the inputs by event time: logs of several servers interleave into one stream.
 * Ties go to the earlier input in the (sorted) input list, then the earlier line, so a replay of
 * the same inputs always yields the same sequence.
 */
final class EventTimeMerge {
    private record Head(SourcedTrace trace, TraceSource source) implements Comparable<Head> {
        @Override
        public int compareTo(final Head o) {
            return trace.compareTo(o.trace);
        }
    }

    private final PriorityQueue<Head> heads = new PriorityQueue<>();

    EventTimeMerge(final List<TraceSource> sources) {
        for (final TraceSource s : sources) {
            final SourcedTrace first = s.next();
            if (first != null) {
                heads.add(new Head(first, s));
            }
        }
    }

    /** The earliest record across all inputs, or null when all are exhausted. */
    SourcedTrace next() {
        final Head head = heads.poll();
        if (head == null) {
            return null;
        }
        final SourcedTrace following = head.source().next();
        if (following != null) {
            heads.add(new Head(following, head.source()));
        }
        return head.trace();
    }
}
