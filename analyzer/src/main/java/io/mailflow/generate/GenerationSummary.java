package io.mailflow.generate;

import io.mailflow.avro.EventType;
import java.time.Instant;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a run produced: records per event type, messages, injected outages and failures. */
public final class GenerationSummary {
    private final Map<EventType, Long> recordsByType = new EnumMap<>(EventType.class);
    private final Map<Outage, Long> deferralsByOutage = new LinkedHashMap<>();
    private long messages;
    private long recipients;
    private long sporadicFailures;
    private long permanentFailures;
    private long expiredRecipients;
    private Instant firstEvent;
    private Instant lastEvent;

    GenerationSummary(final Iterable<Outage> outages) {
        outages.forEach(o -> deferralsByOutage.put(o, 0L));
    }

    void record(final EventType type, final Instant at) {
        recordsByType.merge(type, 1L, Long::sum);
        if (firstEvent == null) {
            firstEvent = at;
        }
        lastEvent = at;
    }

    void message(final int recipientCount) {
        messages++;
        recipients += recipientCount;
    }

    void outageDeferrals(final Outage outage, final int count) {
        deferralsByOutage.merge(outage, (long) count, Long::sum);
    }

    void sporadicFailure() {
        sporadicFailures++;
    }

    void permanentFailure() {
        permanentFailures++;
    }

    void expired(final int count) {
        expiredRecipients += count;
    }

    public long records() {
        return recordsByType.values().stream().mapToLong(Long::longValue).sum();
    }

    public long records(final EventType type) {
        return recordsByType.getOrDefault(type, 0L);
    }

    public Map<EventType, Long> recordsByType() {
        return Map.copyOf(recordsByType);
    }

    /** Deferral records each injected outage caused, in the order the outages were given. */
    public Map<Outage, Long> deferralsByOutage() {
        return new LinkedHashMap<>(deferralsByOutage);
    }

    public long messages() {
        return messages;
    }

    public long recipients() {
        return recipients;
    }

    public long sporadicFailures() {
        return sporadicFailures;
    }

    public long permanentFailures() {
        return permanentFailures;
    }

    public long expiredRecipients() {
        return expiredRecipients;
    }

    public Instant firstEvent() {
        return firstEvent;
    }

    public Instant lastEvent() {
        return lastEvent;
    }

    /** A few lines for the end of a `mailflow generate` run. */
    public String format() {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format("%,d records, %,d messages, %,d recipients, event time %s .. %s%n",
            records(), messages, recipients, firstEvent, lastEvent));
        sb.append("  records per type:");
        recordsByType.forEach((type, n) -> sb.append(String.format(" %s=%,d", type, n)));
        sb.append(String.format("%n  sporadic transient failures: %,d, permanent rejections: %,d, expired recipients: %,d%n",
            sporadicFailures, permanentFailures, expiredRecipients));
        if (deferralsByOutage.isEmpty()) {
            sb.append("  outages injected: none\n");
        } else {
            sb.append("  outages injected:\n");
            deferralsByOutage.forEach((o, n) -> sb.append(String.format("    %s -> %,d deferrals%n", o, n)));
        }
        return sb.toString();
    }
}
