package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
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
 * window's {@link ConnectorStats} exactly once, when it closes: when every input partition has
 * passed window end + grace (the {@link PartitionWatermark} of their heartbeats; only a partition
 * that reported itself caught up and idle is not waited for). Each
 * partition sends its partial for a window before its heartbeat past that window's close, so
 * at that moment all partials are in. A partial of a window already emitted is late: counted
 * in the metric, not emitted a second time.
 */
public final class StatsWindowCloser implements Processor<String, StatsPartial, String, ConnectorStats> {
    public static final String STORE = "stats-windows";
    public static final String PROGRESS_STORE = "stats-progress";
    static final String LATE_STAGE = "stats-close";

    private final long graceMs;
    private final int sourcePartitions;
    private final int maxDestinations;
    private ProcessorContext<String, ConnectorStats> context;
    private KeyValueStore<String, ConnectorStats> windows;
    private PartitionWatermark progress;

    public StatsWindowCloser(final DetectionConfig config) {
        this.graceMs = config.grace().toMillis();
        this.sourcePartitions = config.sourcePartitions();
        this.maxDestinations = config.maxDestinations();
    }

    @Override
    public void init(final ProcessorContext<String, ConnectorStats> context) {
        this.context = context;
        this.windows = context.getStateStore(STORE);
        this.progress = new PartitionWatermark(context.getStateStore(PROGRESS_STORE), sourcePartitions);
    }

    @Override
    public void process(final Record<String, StatsPartial> record) {
        final StatsPartial partial = record.value();
        if (partial == null) {
            return;
        }
        if (partial.getHeartbeat()) {
            progress.observe(partial.getSourcePartition(), partial.getWindowStart(), partial.getIdle());
            closeWindows();
            return;
        }
        if (partial.getWindowEnd() + graceMs <= progress.current()) {
            DetectionMetrics.late(LATE_STAGE);
            return;
        }
        final String key = ConnectorKeys.windowKey(partial.getWindowStart(),
            ConnectorKeys.connectorCode(partial.getConnectorId(), partial.getStatusCode()));
        ConnectorStats sum = windows.get(key);
        if (sum == null) {
            sum = StatsPartials.start(partial);
        }
        StatsPartials.add(sum, partial, maxDestinations);
        windows.put(key, sum);
    }

    private void closeWindows() {
        final long watermark = progress.current();
        final List<String> closed = new ArrayList<>();
        try (KeyValueIterator<String, ConnectorStats> it = windows.all()) {
            while (it.hasNext()) {
                final KeyValue<String, ConnectorStats> entry = it.next();
                final ConnectorStats stats = entry.value;
                // keys are in window-start order: the first open window ends the scan
                if (stats.getWindowEnd().toEpochMilli() + graceMs > watermark) {
                    break;
                }
                closed.add(entry.key);
                context.forward(new Record<>(ConnectorKeys.connectorCode(stats.getConnectorId(), stats.getStatusCode()),
                    stats, stats.getWindowEnd().toEpochMilli() - 1));
            }
        }
        closed.forEach(windows::delete);
    }
}
