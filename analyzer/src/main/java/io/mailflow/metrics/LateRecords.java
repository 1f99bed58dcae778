package io.mailflow.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The warning for input that is out of order beyond what the analyzer absorbs. A record later
 * than the grace within its partition is judged on arrival (and counted in a late-records
 * metric): its outputs may then differ from those of the same input in order. Said at most once
 * a minute per stage, with the count since the last warning, so a badly ordered input is
 * visible without flooding the log; a healthy run never says it.
 */
public final class LateRecords {
    private static final Logger LOG = LoggerFactory.getLogger(LateRecords.class);
    private static final long EVERY_MS = 60_000;
    private static final Map<String, long[]> SINCE_LAST = new ConcurrentHashMap<>();

    private LateRecords() {
    }

    /** One late record at {@code stage}; {@code setting} names the grace it exceeded. */
    public static void seen(final String stage, final String setting) {
        final long now = System.currentTimeMillis();
        final long[] state = SINCE_LAST.computeIfAbsent(stage, s -> new long[] {Long.MIN_VALUE / 2, 0});
        synchronized (state) {
            state[1]++;
            if (now - state[0] < EVERY_MS) {
                return;
            }
            LOG.warn("{} record(s) arrived later than {} allows ({}): judged on arrival and counted in the late-records metric, "
                + "so their outputs may differ from those of the same input in order (replay sorts exports; see docs/architecture.md)",
                state[1], setting, stage);
            state[0] = now;
            state[1] = 0;
        }
    }
}
