package io.mailflow.detect;

import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.internal.StatsPartial;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Sums the partials of all input partitions per (connector, code, window) and emits each
 * window's {@link ConnectorStats} exactly once, when it closes: at window end + grace +
 * partition skew of this task's stream time. A partition flushes a window at its own end +
 * grace; the extra partition skew waits for partitions whose event time runs behind the
 * fastest one. Partials of a window that is already closed are late: counted in the metric,
 * not emitted a second time.
 */
final class StatsWindowCloser implements Processor<String, StatsPartial, String, ConnectorStats> {
    static final String STORE = "stats-windows";
    static final String LATE_STAGE = "stats-close";

    private final long windowMs;
    private final long closeDelayMs;
    private final int maxDestinations;
    private ProcessorContext<String, ConnectorStats> context;
    private KeyValueStore<String, ConnectorStats> windows;

    StatsWindowCloser(final DetectionConfig config) {
        this.windowMs = config.window().toMillis();
        this.closeDelayMs = config.closeDelay().toMillis();
        this.maxDestinations = config.maxDestinations();
    }

    @Override
    public void init(final ProcessorContext<String, ConnectorStats> context) {
        this.context = context;
        this.windows = context.getStateStore(STORE);
    }

    @Override
    public void process(final Record<String, StatsPartial> record) {
        final long streamTime = Math.max(context.currentStreamTimeMs(), record.timestamp());
        final StatsPartial partial = record.value();
        if (partial != null && !partial.getHeartbeat()) {
            if (partial.getWindowEnd() + closeDelayMs <= streamTime) {
                DetectionMetrics.late(LATE_STAGE);
            } else {
                final String key = ConnectorKeys.windowKey(partial.getWindowStart(),
                    ConnectorKeys.connectorCode(partial.getConnectorId(), partial.getStatusCode()));
                ConnectorStats sum = windows.get(key);
                if (sum == null) {
                    sum = StatsPartials.start(partial);
                }
                StatsPartials.add(sum, partial, maxDestinations);
                windows.put(key, sum);
            }
        }
        close(streamTime);
    }

    private void close(final long streamTime) {
        // window [s, s + w) closes when s + w + delay <= streamTime
        final long lastClosedStart = StatsPartials.windowStart(streamTime - closeDelayMs - windowMs, windowMs);
        final String bound = ConnectorKeys.windowPrefix(lastClosedStart + windowMs);
        final List<String> closed = new ArrayList<>();
        try (KeyValueIterator<String, ConnectorStats> it = windows.range(null, bound)) {
            while (it.hasNext()) {
                final KeyValue<String, ConnectorStats> entry = it.next();
                if (entry.key.compareTo(bound) >= 0) {
                    break;
                }
                closed.add(entry.key);
                final ConnectorStats stats = entry.value;
                context.forward(new Record<>(ConnectorKeys.connectorCode(stats.getConnectorId(), stats.getStatusCode()),
                    stats, stats.getWindowEnd().toEpochMilli() - 1));
            }
        }
        closed.forEach(windows::delete);
    }
}
