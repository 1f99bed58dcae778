package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analyzer's first stage: lets through every trace of the traces topic except those a replay
 * run sends again. Per traces partition (one task each) it keeps, for every replay run that wrote
 * there, which of the run's positions it has analysed ({@link ReplayRun}); a record at a position
 * analysed before is skipped, so replaying the same files twice, or again after a failed replay,
 * changes no output. Records without the header (live producers, other tools) always pass.
 *
 * <p>The positions are kept as ranges: normally one, [0, next). A failed replay can leave a gap
 * (a batch that was never acknowledged while later ones were); running the replay again then
 * fills exactly the gap.
 */
public final class ReplayRepeats implements FixedKeyProcessor<String, MessageTrace, MessageTrace> {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayRepeats.class);
    /** Replay run id -> the positions of the run analysed in this task's partition ({@link Analysed#toString}). */
    public static final String STORE = "replay-positions";

    private FixedKeyProcessorContext<String, MessageTrace> context;
    private KeyValueStore<String, String> store;
    private Counter repeats;
    private final Map<String, Analysed> runs = new HashMap<>();
    /** Runs whose repeats were already reported in the log. */
    private final Map<String, Boolean> reported = new HashMap<>();

    @Override
    public void init(final FixedKeyProcessorContext<String, MessageTrace> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
        // a task rolled back after an aborted transaction is initialized again on this same object:
        // fields start over, as after a restart (docs/architecture.md, "Faults lose nothing")
        runs.clear();
        reported.clear();
        this.repeats = Metrics.counter("mailflow.replay.repeats", "partition", Integer.toString(context.taskId().partition()));
    }

    @Override
    public void process(final FixedKeyRecord<String, MessageTrace> record) {
        final Header header = record.headers().lastHeader(ReplayRun.HEADER);
        final ReplayRun.Position at = header == null ? null : ReplayRun.Position.parse(header.value());
        if (at == null) {
            context.forward(record);
            return;
        }
        final Analysed analysed = runs.computeIfAbsent(at.runId(), id -> Analysed.parse(store.get(id)));
        if (analysed.contains(at.position())) {
            repeats.increment();
            if (reported.put(at.runId(), Boolean.TRUE) == null) {
                LOG.info("Partition {}: replay run {} sends records analysed before ({}); they are skipped",
                    context.taskId().partition(), at.runId(), analysed);
            }
            return;
        }
        analysed.add(at.position());
        store.put(at.runId(), analysed.toString());
        context.forward(record);
    }

    /** Positions analysed, as sorted, disjoint, non-adjacent ranges [from, to). */
    static final class Analysed {
        private final List<long[]> ranges = new ArrayList<>();

        /** "from-to,from-to"; null or empty: nothing analysed. */
        static Analysed parse(final String text) {
            final Analysed a = new Analysed();
            if (text != null && !text.isEmpty()) {
                for (final String range : text.split(",")) {
                    final int dash = range.indexOf('-');
                    a.ranges.add(new long[] {Long.parseLong(range.substring(0, dash)), Long.parseLong(range.substring(dash + 1))});
                }
            }
            return a;
        }

        boolean contains(final long position) {
            for (final long[] r : ranges) {
                if (position < r[0]) {
                    return false;
                }
                if (position < r[1]) {
                    return true;
                }
            }
            return false;
        }

        void add(final long position) {
            int i = 0;
            while (i < ranges.size() && ranges.get(i)[1] < position) {
                i++;
            }
            if (i < ranges.size() && ranges.get(i)[1] == position) {
                ranges.get(i)[1] = position + 1; // the usual case: the next position of the last range
                if (i + 1 < ranges.size() && ranges.get(i + 1)[0] == position + 1) {
                    ranges.get(i)[1] = ranges.remove(i + 1)[1]; // a gap filled
                }
            } else if (i < ranges.size() && ranges.get(i)[0] == position + 1) {
                ranges.get(i)[0] = position;
            } else {
                ranges.add(i, new long[] {position, position + 1});
            }
        }

        @Override
        public String toString() {
            final StringBuilder out = new StringBuilder();
            for (final long[] r : ranges) {
                out.append(out.isEmpty() ? "" : ",").append(r[0]).append('-').append(r[1]);
            }
            return out.toString();
        }
    }
}
