package io.mailflow.queue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Micrometer meters of one queue-tracking task, in the global registry: queued recipients and
 * oldest queued age per connector (tagged with the partition, since each task sees only its own
 * share), and counters of NDRs and delay notices emitted. Gauges are updated when a connector's
 * snapshot is emitted and removed when the task closes.
 */
final class QueueMetrics {
    private final MeterRegistry registry = Metrics.globalRegistry;
    private final String partition;
    private final Map<String, AtomicLong[]> byConnector = new HashMap<>();
    private final List<Meter> gauges = new ArrayList<>();
    private final Counter expiredNdrs;
    private final Counter permanentNdrs;
    private final Counter delayNotices;
    private final Counter ignored;
    private final Counter late;
    private final Counter deadlineEntriesVisited;

    QueueMetrics(final int partition) {
        this.partition = Integer.toString(partition);
        this.expiredNdrs = registry.counter("mailflow.queue.ndr", "reason", "EXPIRED");
        this.permanentNdrs = registry.counter("mailflow.queue.ndr", "reason", "PERMANENT_FAILURE");
        this.delayNotices = registry.counter("mailflow.queue.delay.notices");
        this.ignored = registry.counter("mailflow.queue.records.ignored");
        this.late = registry.counter("mailflow.queue.late.records");
        this.deadlineEntriesVisited = registry.counter("mailflow.queue.deadline.index.visited");
    }

    void expiredNdr() {
        expiredNdrs.increment();
    }

    void permanentNdr() {
        permanentNdrs.increment();
    }

    void delayNotice() {
        delayNotices.increment();
    }

    /** A record that could not be used for tracking (no recipient, stale, duplicate): counted, never silent. */
    /** A record older than the time deadlines have already been judged to (later than the grace). */
    void lateRecord() {
        late.increment();
        io.mailflow.metrics.LateRecords.seen("queue tracking", "mailflow.queue.grace");
    }

    void ignoredRecord() {
        ignored.increment();
    }

    /** Entries read from the deadline index by due-deadline scans: should track deadlines handled, not queue size. */
    void deadlineEntriesVisited(final int entries) {
        deadlineEntriesVisited.increment(entries);
    }

    void connector(final String connector, final long queued, final Long oldestQueuedTime, final long now) {
        final AtomicLong[] values = byConnector.computeIfAbsent(connector, this::register);
        values[0].set(queued);
        values[1].set(oldestQueuedTime == null ? 0 : Math.max(0, (now - oldestQueuedTime) / 1000));
    }

    /**
     * The heap this task's message memory holds ({@code mailflow.queue.message.memory.heap}, bytes);
     * summed over an instance's partitions, what its {@code mailflow.queue.message-memory-max-bytes}
     * budget has given out.
     */
    void messageMemory(final LongSupplier heapBytes) {
        gauges.add(Gauge.builder("mailflow.queue.message.memory.heap", heapBytes, s -> s.getAsLong())
            .description("Heap held by the queue's remembered arrivals and outcomes (this partition)")
            .baseUnit("bytes")
            .tags("partition", partition)
            .strongReference(true) // the supplier is referenced by nothing else
            .register(registry));
    }

    void close() {
        gauges.forEach(registry::remove);
        gauges.clear();
        byConnector.clear();
    }

    private AtomicLong[] register(final String connector) {
        final AtomicLong queued = new AtomicLong();
        final AtomicLong oldestAge = new AtomicLong();
        gauges.add(Gauge.builder("mailflow.queue.recipients", queued, AtomicLong::get)
            .description("Recipients queued on the connector (this partition)")
            .tags("connector", connector, "partition", partition)
            .register(registry));
        gauges.add(Gauge.builder("mailflow.queue.oldest.age", oldestAge, AtomicLong::get)
            .description("Age in seconds (event time) of the oldest recipient queued on the connector (this partition)")
            .baseUnit("seconds")
            .tags("connector", connector, "partition", partition)
            .register(registry));
        return new AtomicLong[] {queued, oldestAge};
    }
}
