package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.util.HashMap;
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
 * there, the position of the next record it expects ({@link ReplayRun}); a record of that run at
 * a lower position was analysed already and is skipped, so replaying the same files twice, or
 * again after a failed replay, changes no output. Records without the header (live producers,
 * other tools) always pass.
 */
public final class ReplayRepeats implements FixedKeyProcessor<String, MessageTrace, MessageTrace> {
    private static final Logger LOG = LoggerFactory.getLogger(ReplayRepeats.class);
    /** Replay run id -> position of its next record in this task's partition. */
    public static final String STORE = "replay-positions";

    private FixedKeyProcessorContext<String, MessageTrace> context;
    private KeyValueStore<String, Long> positions;
    private Counter repeats;
    /** Runs whose repeats were already reported in the log, with how many were skipped. */
    private final Map<String, Long> reported = new HashMap<>();

    @Override
    public void init(final FixedKeyProcessorContext<String, MessageTrace> context) {
        this.context = context;
        this.positions = context.getStateStore(STORE);
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
        final Long next = positions.get(at.runId());
        if (next != null && at.position() < next) {
            repeats.increment();
            if (reported.put(at.runId(), reported.getOrDefault(at.runId(), 0L) + 1) == null) {
                LOG.info("Partition {}: replay run {} sends records analysed before (up to position {}); they are skipped",
                    context.taskId().partition(), at.runId(), next - 1);
            }
            return;
        }
        positions.put(at.runId(), at.position() + 1);
        context.forward(record);
    }
}
