package io.mailflow.ingest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * k-way merge of the inputs by event time: logs of several servers interleave into one stream.
 * Ties go by row key (0 for streamed files, see {@link SourcedTrace}), then to the earlier input in
 * the (sorted) input list, then the earlier line, so a replay of the same inputs always yields the
 * same sequence. Inputs are opened when the merge reaches their first event time and closed when
 * exhausted (see {@link PendingSource}); sorted inputs are due at the start.
 */
final class EventTimeMerge implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventTimeMerge.class);

    /** Either the next record of an open source, or a source still to open. */
    private record Head(long time, long rowKey, int index, long seq, SourcedTrace trace, RecordSource source,
            PendingSource pending) implements Comparable<Head> {
        @Override
        public int compareTo(final Head o) {
            int c = Long.compare(time, o.time);
            if (c == 0) {
                // a source still to open goes before every record of its time
                c = Boolean.compare(pending == null, o.pending == null);
            }
            if (c == 0) {
                c = Long.compare(rowKey, o.rowKey);
            }
            if (c == 0) {
                c = Integer.compare(index, o.index);
            }
            return c != 0 ? c : Long.compare(seq, o.seq);
        }

        static Head of(final SourcedTrace t, final RecordSource s) {
            return new Head(t.eventTime(), t.rowKey(), t.sourceIndex(), t.seq(), t, s, null);
        }

        static Head of(final PendingSource p) {
            return new Head(p.firstEventTime(), 0, p.index(), -1, null, null, p);
        }
    }

    private final PriorityQueue<Head> heads = new PriorityQueue<>();
    private final List<RecordSource> open = new ArrayList<>();
    private int maxOpen;

    EventTimeMerge(final List<PendingSource> sources) {
        sources.forEach(p -> heads.add(Head.of(p)));
    }

    /** The earliest record across all inputs, or null when all are exhausted. */
    SourcedTrace next() {
        while (true) {
            final Head head = heads.poll();
            if (head == null) {
                return null;
            }
            if (head.pending() != null) {
                final RecordSource source = head.pending().opener().open();
                open.add(source);
                maxOpen = Math.max(maxOpen, open.size());
                advance(source);
                continue;
            }
            advance(head.source());
            return head.trace();
        }
    }

    /** Files open at once at the peak. */
    int maxOpen() {
        return maxOpen;
    }

    private void advance(final RecordSource source) {
        final SourcedTrace following = source.next();
        if (following != null) {
            heads.add(Head.of(following, source));
        } else {
            close(source);
        }
    }

    private void close(final RecordSource source) {
        open.remove(source);
        try {
            source.close();
        } catch (final IOException e) {
            LOG.warn("closing {} failed", source.file(), e);
        }
    }

    @Override
    public void close() {
        for (final RecordSource s : List.copyOf(open)) {
            close(s);
        }
    }
}
