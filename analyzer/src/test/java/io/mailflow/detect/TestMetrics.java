package io.mailflow.detect;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Reads detection's meters the way an exporter would: through a registry added to the global one. */
final class TestMetrics {
    static {
        Metrics.globalRegistry.add(new SimpleMeterRegistry());
    }

    private TestMetrics() {
    }

    static double late(final String stage) {
        final Counter c = Metrics.globalRegistry.find("mailflow.detect.late.records").tag("stage", stage).counter();
        return c == null ? 0 : c.count();
    }

    static double failures(final String connector, final String category) {
        final Counter c = Metrics.globalRegistry.find("mailflow.detect.failures").tag("connector", connector).tag("category", category).counter();
        return c == null ? 0 : c.count();
    }

    static double firing(final String type) {
        final io.micrometer.core.instrument.Gauge g = Metrics.globalRegistry.find("mailflow.detect.alerts.firing").tag("type", type).gauge();
        return g == null ? Double.NaN : g.value();
    }
}
