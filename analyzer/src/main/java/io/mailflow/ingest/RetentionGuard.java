package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.config.Durations;
import io.mailflow.avro.MessageTrace;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts replayed records the broker will delete before anyone reads them. Retention runs on
 * record timestamps, which a replay sets to event time: logs older than the traces topic's
 * retention.ms are written and then dropped at the next retention check. The first such record
 * is reported at once, so the user can stop and recreate the topics with a longer retention.
 */
public final class RetentionGuard implements TraceSink {
    private static final Logger LOG = LoggerFactory.getLogger(RetentionGuard.class);

    private final TraceSink delegate;
    private final String topic;
    private final Duration retention;
    private final Instant deletedBefore;
    private long beyondRetention;

    /** @param retention the topic's retention.ms as a duration; null when the topic keeps records forever */
    public RetentionGuard(final TraceSink delegate, final String topic, final Duration retention, final Instant now) {
        this.delegate = delegate;
        this.topic = topic;
        this.retention = retention;
        this.deletedBefore = retention == null ? Instant.MIN : now.minus(retention);
    }

    @Override
    public void accept(final String key, final MessageTrace trace) {
        if (trace.getEventTime().isBefore(deletedBefore) && beyondRetention++ == 0) {
            LOG.warn("{} keeps records for {} (retention.ms), but this replay writes event times from {}: the broker"
                    + " will delete them before the analyzer reads them. Recreate the topics with"
                    + " -D mailflow.topic.retention=infinite (or replay --embedded).",
                topic, Durations.humanize(retention), trace.getEventTime());
        }
        delegate.accept(key, trace);
    }

    @Override
    public void reject(final DeadLetter deadLetter) {
        delegate.reject(deadLetter);
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public long failures() {
        return delegate.failures();
    }

    /** Records written with an event time older than the retention allows. */
    public long beyondRetention() {
        return beyondRetention;
    }
}
