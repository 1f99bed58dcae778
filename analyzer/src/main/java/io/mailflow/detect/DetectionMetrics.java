package io.mailflow.detect;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.FailureCategory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Detection's meters on Micrometer's global registry, which the metrics endpoint exports:
 * <ul>
 * <li>{@code mailflow.detect.failures{connector,category}}: failed delivery attempts seen;</li>
 * <li>{@code mailflow.detect.alerts{type,state}}: alert transitions emitted;</li>
 * <li>{@code mailflow.detect.alerts.firing{type}}: alerts firing now in this instance;</li>
 * <li>{@code mailflow.detect.late.records{stage}}: records that arrived after their window or
 *     episode had closed (stats: not counted; episodes: counted where the episode is still open).</li>
 * </ul>
 * Counters are cached per connector so the hot path does one map lookup, no meter-id allocation.
 */
final class DetectionMetrics {
    private static final Map<String, Counter[]> FAILURES = new ConcurrentHashMap<>();
    private static final Map<String, Counter> LATE = new ConcurrentHashMap<>();
    private static final Map<AlertType, Map<AlertState, Counter>> ALERTS = new EnumMap<>(AlertType.class);
    // strong references: the registry holds gauge state weakly
    private static final Map<AlertType, AtomicLong> FIRING = new EnumMap<>(AlertType.class);

    static {
        final MeterRegistry registry = Metrics.globalRegistry;
        for (final AlertType type : AlertType.values()) {
            final Map<AlertState, Counter> byState = new EnumMap<>(AlertState.class);
            for (final AlertState state : AlertState.values()) {
                byState.put(state, Counter.builder("mailflow.detect.alerts").description("Connector alert transitions emitted")
                    .tag("type", type.name()).tag("state", state.name()).register(registry));
            }
            ALERTS.put(type, byState);
            final AtomicLong firing = new AtomicLong();
            FIRING.put(type, firing);
            registry.gauge("mailflow.detect.alerts.firing", java.util.List.of(io.micrometer.core.instrument.Tag.of("type", type.name())), firing);
        }
    }

    private DetectionMetrics() {
    }

    static void failure(final String connectorId, final FailureCategory category) {
        final Counter[] counters = FAILURES.computeIfAbsent(connectorId, id -> new Counter[FailureCategory.values().length]);
        final int i = category.ordinal();
        Counter counter = counters[i];
        if (counter == null) {
            counter = Counter.builder("mailflow.detect.failures").description("Failed delivery attempts by connector and category")
                .tag("connector", connectorId).tag("category", category.name()).register(Metrics.globalRegistry);
            counters[i] = counter;
        }
        counter.increment();
    }

    static void late(final String stage) {
        LATE.computeIfAbsent(stage, s -> Counter.builder("mailflow.detect.late.records")
            .description("Records that arrived after their window or episode closed").tag("stage", s)
            .register(Metrics.globalRegistry)).increment();
        io.mailflow.metrics.LateRecords.seen("detect " + stage, "mailflow.detect.grace");
    }

    static void alert(final AlertType type, final AlertState state) {
        ALERTS.get(type).get(state).increment();
        if (state == AlertState.FIRING) {
            FIRING.get(type).incrementAndGet();
        } else if (state == AlertState.RESOLVED) {
            FIRING.get(type).decrementAndGet();
        }
    }

    /** Alerts restored from state on task start, or handed to another instance on task close. */
    static void firingAdjust(final AlertType type, final long delta) {
        FIRING.get(type).addAndGet(delta);
    }

    static long firing(final AlertType type) {
        return FIRING.get(type).get();
    }
}
