package io.mailflow.queue;

import io.mailflow.config.QueueConfig;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.avro.internal.QueuedRecipient;
import io.mailflow.classify.Classification;
import io.mailflow.classify.ClassifiedTrace;
import io.mailflow.ingest.MessageKeys;
import io.mailflow.state.BatchChangelog;
import io.mailflow.state.HeapBudget;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows every recipient of every message from its first deferral to delivery, a permanent
 * failure, or expiry, on event time. Typed outputs, each to the child its {@link Outputs} names:
 * {@link NonDeliveryReport}s and {@link DelayNotice}s keyed by message, and
 * {@link ConnectorQueueSnapshot}s (as {@link ConnectorSignal}s) keyed by connector.
 *
 * <p>Per-recipient state exists only while a recipient is queued: a RECEIVE only notes the
 * message's arrival in a window store whose old segments are dropped, so the millions of
 * messages delivered in seconds cost one small entry each for a couple of hours, not state.
 */
public final class QueueTracker implements Processor<String, ClassifiedTrace, String, SpecificRecord> {
    public static final String RECIPIENTS_STORE = "queue-recipients";
    public static final String DEADLINES_STORE = "queue-deadlines";
    public static final String ARRIVALS_STORE = "queue-arrivals";
    public static final String OUTCOMES_STORE = "queue-outcomes";
    /** The changelogs of {@link #ARRIVALS_STORE} and {@link #OUTCOMES_STORE}, written once per commit. */
    public static final String ARRIVALS_LOG_STORE = "queue-arrivals-log";
    public static final String OUTCOMES_LOG_STORE = "queue-outcomes-log";
    public static final String CONNECTORS_STORE = "queue-connectors";
    public static final String CONNECTOR_AGES_STORE = "queue-connector-ages";

    /** The children the tracker's three kinds of output go to, by processor name. */
    public record Outputs(String ndrs, String delayNotices, String queueSignals) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(QueueTracker.class);

    private final QueueConfig config;
    private final Outputs outputs;
    private final RecipientLifecycle lifecycle;
    private final long expireAfter;
    private final long graceMs;
    private final HeapBudget heapBudget;

    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, QueuedRecipient> recipients;
    /** The keys in {@link #recipients}, on the heap: a delivery of a recipient never queued reads no store. */
    private final QueuedKeys queued = new QueuedKeys();
    private MessageMemory messages;
    private DeadlineIndex deadlines;
    private ConnectorQueues connectors;
    private QueueMetrics metrics;
    private Cancellable wallClockCheck;

    /** Highest record timestamp seen: this task's stream time. */
    private long streamTime = Long.MIN_VALUE;
    /** Wall-clock time at which streamTime last moved, for the safety net. */
    private long wallAtLastAdvance;
    /** Time deadlines are judged by: stream time, or further when the safety net moved it. Never goes back. */
    private long clock = Long.MIN_VALUE;
    /** The next grid point at which changed connector snapshots go out (see reportGridPointsUpTo). */
    private long nextGridPoint = Long.MIN_VALUE;

    /**
     * @param messageMemoryHeap the heap the message memory of every task of this instance may take
     *                          ({@link QueueConfig#messageMemoryMaxBytes}); shared, so one per instance
     */
    public QueueTracker(final QueueConfig config, final Outputs outputs, final HeapBudget messageMemoryHeap) {
        this.config = config;
        this.outputs = outputs;
        this.heapBudget = messageMemoryHeap;
        this.lifecycle = new RecipientLifecycle(config);
        this.expireAfter = config.expireAfter().toMillis();
        this.graceMs = config.grace().toMillis();
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.recipients = context.getStateStore(RECIPIENTS_STORE);
        // a task rolled back after an aborted transaction is initialized again on this same object:
        // fields start over, as after a restart (docs/architecture.md, "Faults lose nothing")
        this.streamTime = Long.MIN_VALUE;
        this.clock = Long.MIN_VALUE;
        this.nextGridPoint = Long.MIN_VALUE;
        final WindowStore<Bytes, byte[]> arrivals = context.getStateStore(ARRIVALS_STORE);
        final WindowStore<Bytes, byte[]> outcomes = context.getStateStore(OUTCOMES_STORE);
        if (this.messages != null) {
            this.messages.release(); // started again: the heap entries of before are replayed anew
        }
        this.messages = new MessageMemory(BatchChangelog.logging(context.getStateStore(ARRIVALS_LOG_STORE), arrivals, heapBudget),
            BatchChangelog.logging(context.getStateStore(OUTCOMES_LOG_STORE), outcomes, heapBudget), config.arrivalRetention());
        final KeyValueStore<Bytes, byte[]> deadlineStore = context.getStateStore(DEADLINES_STORE);
        this.deadlines = new DeadlineIndex(deadlineStore);
        final int partition = context.taskId().partition();
        this.connectors = new ConnectorQueues(context.getStateStore(CONNECTORS_STORE),
            context.getStateStore(CONNECTOR_AGES_STORE), partition, config.maxDestinations());
        if (this.metrics != null) {
            this.metrics.close(); // started again: the gauges are registered anew below
        }
        this.metrics = new QueueMetrics(partition);
        this.metrics.messageMemory(this.messages::heapBytes);
        this.connectors.restoreChanged();
        indexQueuedKeys(partition);
        this.wallAtLastAdvance = context.currentSystemTimeMs();
        final long interval = config.punctuationInterval().toMillis();
        // no STREAM_TIME punctuation: only a record moves stream time, and process() checks the
        // deadlines with it, which is all such a punctuation did (docs/queue-tracking.md)
        this.wallClockCheck = context.schedule(config.punctuationInterval(), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
        LOG.debug("queue tracking on partition {}: checks every {} ms", partition, interval);
    }

    @Override
    public void process(final Record<String, ClassifiedTrace> record) {
        final ClassifiedTrace classified = record.value();
        final MessageTrace trace = classified == null ? null : classified.trace();
        // the task's stream time survives a restart (it is committed with the offsets), our own
        // maximum does not: take the larger, so a restarted task judges deadlines as before
        final long now = Math.max(record.timestamp(), context.currentStreamTimeMs());
        if (trace != null && clock != Long.MIN_VALUE && record.timestamp() < judgeTime()) {
            metrics.lateRecord(); // deadlines up to judgeTime() have been judged without it
        }
        reportGridPointsUpTo(now);
        advanceStreamTime(now);
        checkDeadlines();
        if (trace == null || trace.getEventType() == null) {
            if (trace != null) {
                metrics.ignoredRecord();
            }
            return; // a progress marker (null value) only moves time on
        }
        final String messageKey = record.key() != null ? record.key() : MessageKeys.of(trace);
        final long time = record.timestamp();
        if (trace.getEventType() == EventType.RECEIVE) {
            messages.rememberArrival(messageKey, time, now, FailureText.originalSender(trace), trace.getSubject(),
                trace.getMessageId());
            return;
        }
        if (trace.getEventType() == EventType.DSN) {
            // the MTA's record of a notification it generated itself: the FAIL before it is the
            // failure, and whose address its recipient field holds differs between MTAs
            return;
        }
        final Classification c = classified.classification();
        final String recipient = FailureText.trimToNull(trace.getRecipient());
        if (recipient == null) {
            if (c.outcome() != io.mailflow.classify.Outcome.NOT_AN_ATTEMPT) {
                LOG.debug("{} of message {} names no recipient: not tracked", trace.getEventType(), messageKey);
                metrics.ignoredRecord();
            }
            return;
        }
        final String key = RecipientKeys.of(messageKey, recipient);
        QueuedRecipient state = queued.mayBeQueued(key) ? recipients.get(key) : null;
        if (state != null && state.getNextDeadline() <= time) {
            // handle this recipient's due deadlines first, even if the bounded global check has not
            // reached it yet, so the outcome does not depend on how checks were batched
            state = fireDeadlines(key, state, time);
        }
        if (FailureText.isMtaExpiry(trace, c)) {
            onMtaExpiry(messageKey, key, state, trace, c, time);
            return;
        }
        switch (c.outcome()) {
            case DELIVERED -> onDelivered(messageKey, key, state, time);
            case TRANSIENT_FAILURE -> onDeferral(messageKey, key, state, trace, c, time);
            case PERMANENT_FAILURE -> onPermanentFailure(messageKey, key, state, trace, c, time);
            default -> {
                // RESOLVE, EXPAND, DSN with a 2.x.x/4.x.x status ...: not about the queue
            }
        }
    }

    /** Every recipient the store holds as the task starts (restored, or rolled back to the last commit). */
    private void indexQueuedKeys(final int partition) {
        final long started = System.nanoTime();
        queued.clear();
        try (KeyValueIterator<String, QueuedRecipient> it = recipients.all()) {
            while (it.hasNext()) {
                queued.add(it.next().key);
            }
        }
        LOG.debug("queue tracking on partition {}: {} queued recipients indexed in {} ms", partition, queued.size(),
            (System.nanoTime() - started) / 1_000_000);
    }

    @Override
    public void close() {
        if (wallClockCheck != null) {
            wallClockCheck.cancel();
        }
        if (metrics != null) {
            metrics.close();
        }
        if (messages != null) {
            messages.release();
            messages = null;
        }
    }

    // ---- time ----------------------------------------------------------------------------------

    private void advanceStreamTime(final long time) {
        if (time > streamTime) {
            streamTime = time;
            wallAtLastAdvance = context.currentSystemTimeMs();
        }
        clock = Math.max(clock, time);
    }

    /**
     * Wall-clock punctuation. When stream time has not moved for longer than the safety net's max
     * lag (no traffic, or an idle partition), deadlines are judged as if stream time had advanced
     * by the wall-clock time elapsed since it last moved.
     */
    private void onWallClock(final long wallNow) {
        if (config.wallClockSafetyNet()) {
            final long taskStreamTime = context.currentStreamTimeMs();
            if (taskStreamTime >= 0 && taskStreamTime > streamTime) {
                // after a restart the task knows its stream time from the committed offsets before we see a record
                streamTime = taskStreamTime;
                wallAtLastAdvance = wallNow;
            }
            final long idle = wallNow - wallAtLastAdvance;
            if (streamTime != Long.MIN_VALUE && idle > config.wallClockMaxLag().toMillis()) {
                final long advanced = streamTime + idle;
                if (advanced > clock) {
                    LOG.debug("stream time idle for {} ms: judging deadlines at {} (stream time {})", idle, advanced, streamTime);
                    reportGridPointsUpTo(advanced);
                    clock = advanced;
                }
            }
            checkDeadlines();
        }
    }

    /**
     * Connector snapshots describe the queue at points of a fixed event-time grid (every
     * punctuation interval): the snapshot at grid point g holds every record before g and every
     * deadline before g less the grace.
     * Before time moves to {@code time}, each grid point up to it is reported in turn. So one
     * partition holding all connectors' recipients and several partitions holding parts of them
     * report the same moments, and their snapshots of a moment add up to the same queue; the
     * points do not depend on punctuations (which run between batches of varying size) either.
     */
    private void reportGridPointsUpTo(final long time) {
        final long interval = config.punctuationInterval().toMillis();
        if (nextGridPoint == Long.MIN_VALUE) {
            nextGridPoint = connectors.nextGridPoint(); // after a restart: where the task left off
        }
        long g = nextGridPoint == Long.MIN_VALUE ? Math.floorDiv(time, interval) * interval + interval : nextGridPoint;
        if (g == nextGridPoint && g > time) {
            return; // the common case: still before the next grid point
        }
        while (g <= time) {
            // deadlines a grace behind, as everywhere: the backlog-age crossings it counts trail by the grace
            final long judged = g - 1 - graceMs;
            do {
                checkDeadlinesUpTo(judged);
            } while (deadlines.mayBeDue(judged));
            emitChangedSnapshots(g);
            g += interval;
            if (g <= time) {
                // Every snapshot has gone out: a later grid point has news only once a deadline is
                // due there. Jump to it, or past the time, rather than visit each point: a record
                // a year after the previous one (a gap between two logs, a wrong clock) crossed a
                // million points of 30 s, with two index scans each (seconds of a stalled task).
                final long nextDue = deadlines.earliestUpTo(time - 1 - graceMs);
                g = Math.max(g, nextDue == DeadlineIndex.NONE
                    ? Math.floorDiv(time, interval) * interval + interval
                    : Math.floorDiv(nextDue + 1 + graceMs + interval - 1, interval) * interval);
            }
        }
        nextGridPoint = g;
        connectors.setNextGridPoint(g);
    }

    /** Deadlines are judged a grace behind the clock, so a record late by less than that still counts first. */
    private long judgeTime() {
        return clock == Long.MIN_VALUE ? Long.MIN_VALUE : clock - graceMs;
    }

    private void checkDeadlines() {
        checkDeadlinesUpTo(judgeTime());
    }

    /** Handles the deadlines due at {@code now}, in deadline order, at most a bounded batch per call. */
    private void checkDeadlinesUpTo(final long now) {
        if (now == Long.MIN_VALUE || !deadlines.mayBeDue(now)) {
            return;
        }
        final List<DeadlineIndex.Due> due = deadlines.due(now, config.maxDeadlinesPerCheck());
        metrics.deadlineEntriesVisited(due.size());
        for (final DeadlineIndex.Due d : due) {
            final QueuedRecipient state = queued.mayBeQueued(d.recipientKey()) ? recipients.get(d.recipientKey()) : null;
            if (state == null || state.getNextDeadline() != d.deadline()) {
                deadlines.remove(d.deadline(), d.recipientKey()); // left behind by a change of configuration
                continue;
            }
            fireDeadlines(d.recipientKey(), state, now);
        }
        if (due.size() < config.maxDeadlinesPerCheck()) {
            deadlines.refreshEarliest(now);
        }
    }

    /**
     * Everything due for one recipient at the clock (see {@link RecipientLifecycle}): crossing the
     * backlog age, the delay notice, expiry; then its next deadline goes back into the index.
     * Returns the state left (null when the recipient is gone).
     */
    private QueuedRecipient fireDeadlines(final String key, final QueuedRecipient s, final long now) {
        deadlines.remove(s.getNextDeadline(), key);
        final RecipientLifecycle.Due due = lifecycle.fire(s, now);
        if (due.forget()) {
            recipients.put(key, null); // not delete(): it would read the recipient back to return it
            queued.remove(key);
            return null;
        }
        final String connector = ConnectorQueues.idOf(s.getConnectorId());
        if (due.crossedBacklogAge()) {
            connectors.crossedBacklogAge(connector);
        }
        final long since = s.getQueuedSince();
        if (due.delayNoticeAt() != null) {
            final DelayNotice notice = Reports.delayNotice(s, due.delayNoticeAt(), since + expireAfter, config.reportingMta());
            context.forward(new Record<>(RecipientKeys.messageKeyOf(key), notice, due.delayNoticeAt()), outputs.delayNotices());
            metrics.delayNotice();
        }
        if (due.expiredAt() != null) {
            final NonDeliveryReport ndr = Reports.expired(s, due.expiredAt(), config.reportingMta());
            context.forward(new Record<>(RecipientKeys.messageKeyOf(key), ndr, due.expiredAt()), outputs.ndrs());
            metrics.expiredNdr();
            connectors.dequeue(connector, key, since, RecipientLifecycle.isOverBacklogAge(s));
        }
        recipients.put(key, s);
        deadlines.add(s.getNextDeadline(), key);
        return s;
    }

    // ---- events --------------------------------------------------------------------------------

    private void onDeferral(final String messageKey, final String key, final QueuedRecipient existing,
                            final MessageTrace trace, final Classification c, final long time) {
        final String error = FailureText.errorOf(trace, c);
        final String connector = ConnectorQueues.idOf(trace.getConnectorId());
        final String remote = FailureText.remoteMta(c);
        if (existing == null) {
            if (messages.isStale(key, time)) {
                // already returned to the sender, or delivered after this deferral: a late, stale record
                metrics.ignoredRecord();
                return;
            }
            startQueueing(messageKey, key, trace, c, time, error, remote);
            return;
        }
        if (RecipientLifecycle.isExpired(existing)) {
            // the MTA still retries a recipient we already reported as expired: nothing new to say
            return;
        }
        final QueuedRecipient s = existing;
        s.setAttempts(s.getAttempts() + 1);
        if (time < s.getFirstDeferralTime()) {
            s.setFirstDeferralTime(time);
        }
        final Long arrivedAt = Reports.arrivalTime(null, trace, time); // the RECEIVE already counted when queueing began
        final long startedAt = arrivedAt == null ? time : Math.min(arrivedAt, time);
        if (startedAt < s.getQueuedSince()) {
            // an older deferral arrived late, or this line tells an earlier arrival: the clock
            // started earlier than we thought
            connectors.requeue(ConnectorQueues.idOf(s.getConnectorId()), key, s.getQueuedSince(), startedAt);
            s.setQueuedSince(startedAt);
            if (arrivedAt != null && (s.getArrivalDate() == null || arrivedAt < s.getArrivalDate())) {
                s.setArrivalDate(arrivedAt);
            }
        }
        if (time >= s.getLastAttemptTime()) {
            final String oldConnector = ConnectorQueues.idOf(s.getConnectorId());
            if (!oldConnector.equals(connector)) {
                connectors.dequeue(oldConnector, key, s.getQueuedSince(), RecipientLifecycle.isOverBacklogAge(s));
                connectors.enqueue(connector, key, s.getQueuedSince(), RecipientLifecycle.isOverBacklogAge(s), null, null, null, time);
            }
            s.setConnectorId(trace.getConnectorId());
            s.setLastAttemptTime(time);
            s.setLastError(error);
            s.setLastStatusCode(c.statusCode());
            if (remote != null) {
                s.setRemoteMta(remote);
            }
            final String server = FailureText.trimToNull(trace.getSourceServer());
            if (server != null) {
                s.setReportingMta(server);
            }
            connectors.noteAttempt(connector, error, c.statusCode(), remote, time);
        }
        fillMessageFields(s, trace);
        reschedule(key, s);
    }

    private void startQueueing(final String messageKey, final String key, final MessageTrace trace, final Classification c,
                               final long time, final String error, final String remote) {
        final Reports.ArrivalInfo a = messages.arrival(messageKey);
        // queued since the earliest of: the RECEIVE, the arrival the line itself tells, this deferral
        final Long arrivedAt = Reports.arrivalTime(a, trace, time);
        final long since = arrivedAt == null ? time : Math.min(arrivedAt, time);
        final String sender = FailureText.originalSender(trace);
        final QueuedRecipient s = QueuedRecipient.newBuilder()
            .setRecipient(trace.getRecipient().trim())
            .setQueuedSince(since)
            .setArrivalDate(arrivedAt)
            .setFirstDeferralTime(time)
            .setLastAttemptTime(time)
            .setAttempts(1)
            .setConnectorId(trace.getConnectorId())
            .setLastError(error)
            .setLastStatusCode(c.statusCode())
            .setRemoteMta(remote)
            .setReportingMta(FailureText.trimToNull(trace.getSourceServer()))
            .setOriginalSender(sender != null ? sender : a == null ? null : a.originalSender())
            .setSubject(trace.getSubject() != null ? trace.getSubject() : a == null ? null : a.subject())
            .setMessageId(trace.getMessageId() != null ? trace.getMessageId() : a == null ? null : a.messageId())
            .setNetworkMessageId(trace.getNetworkMessageId())
            .setFlags(0)
            .setNextDeadline(0L)
            .build();
        final String connector = ConnectorQueues.idOf(trace.getConnectorId());
        connectors.enqueue(connector, key, since, false, error, c.statusCode(), remote, time);
        s.setNextDeadline(lifecycle.nextDeadline(s));
        recipients.put(key, s);
        queued.add(key);
        deadlines.add(s.getNextDeadline(), key);
        if (s.getNextDeadline() <= judgeTime()) {
            fireDeadlines(key, s, judgeTime()); // arrived long ago, or a late record: catch up at once
        }
    }

    /** The recipient's deadlines may have moved: replace its index entry and catch up if due. */
    private void reschedule(final String key, final QueuedRecipient s) {
        final long old = s.getNextDeadline();
        final long next = lifecycle.nextDeadline(s);
        if (next != old) {
            deadlines.remove(old, key);
            s.setNextDeadline(next);
            deadlines.add(next, key);
        }
        recipients.put(key, s);
        if (next <= judgeTime()) {
            fireDeadlines(key, s, judgeTime());
        }
    }

    private void onDelivered(final String messageKey, final String key, final QueuedRecipient s, final long time) {
        messages.rememberOutcome(key, MessageMemory.DELIVERED, time);
        if (s == null) {
            return;
        }
        if (RecipientLifecycle.isExpired(s)) {
            forget(key, s); // delivered after our expiry (the MTA's expiry is longer than ours)
            return;
        }
        if (time < s.getLastAttemptTime()) {
            // a delivery older than the latest deferral was an earlier hop: the recipient is still queued further on
            metrics.ignoredRecord();
            return;
        }
        dequeue(key, s);
    }

    private void onPermanentFailure(final String messageKey, final String key, final QueuedRecipient s,
                                    final MessageTrace trace, final Classification c, final long time) {
        final boolean alreadyReported = s != null && RecipientLifecycle.isExpired(s)
            || messages.isReturned(key);
        if (!alreadyReported) {
            final Reports.ArrivalInfo arrival = s == null ? messages.arrival(messageKey) : null;
            final NonDeliveryReport ndr = Reports.permanentFailure(trace, c, s, arrival, time, config.reportingMta());
            context.forward(new Record<>(messageKey, ndr, time), outputs.ndrs());
            metrics.permanentNdr();
            messages.rememberOutcome(key, MessageMemory.PERMANENT_NDR, time);
        } else {
            metrics.ignoredRecord(); // the FAIL/DSN twin of a failure already reported
        }
        if (s != null) {
            dequeueOrForget(key, s);
        }
    }

    private void onMtaExpiry(final String messageKey, final String key, final QueuedRecipient s,
                             final MessageTrace trace, final Classification c, final long time) {
        final boolean alreadyReported = s != null && RecipientLifecycle.isExpired(s)
            || messages.isReturned(key);
        if (!alreadyReported) {
            final Reports.ArrivalInfo arrival = s == null ? messages.arrival(messageKey) : null;
            final NonDeliveryReport ndr = Reports.expiredByMta(trace, c, s, arrival, time, config.reportingMta());
            context.forward(new Record<>(messageKey, ndr, time), outputs.ndrs());
            metrics.expiredNdr();
            messages.rememberOutcome(key, MessageMemory.EXPIRED_NDR, time);
        }
        if (s != null) {
            dequeueOrForget(key, s);
        }
    }



    private void dequeueOrForget(final String key, final QueuedRecipient s) {
        if (RecipientLifecycle.isExpired(s)) {
            forget(key, s);
        } else {
            dequeue(key, s);
        }
    }

    /** The recipient leaves the queue: state, index entry and connector counts. */
    private void dequeue(final String key, final QueuedRecipient s) {
        connectors.dequeue(ConnectorQueues.idOf(s.getConnectorId()), key, s.getQueuedSince(), RecipientLifecycle.isOverBacklogAge(s));
        forget(key, s);
    }

    private void forget(final String key, final QueuedRecipient s) {
        deadlines.remove(s.getNextDeadline(), key);
        recipients.put(key, null); // not delete(): it would read the recipient back to return it
        queued.remove(key);
    }

    private void emitChangedSnapshots(final long asOf) {
        for (final ConnectorQueueSnapshot snapshot : connectors.drainChanged(asOf)) {
            final java.time.Instant oldest = snapshot.getOldestQueuedTime();
            metrics.connector(snapshot.getConnectorId(), snapshot.getQueuedRecipients(), oldest == null ? null : oldest.toEpochMilli(), asOf);
            context.forward(new Record<>(snapshot.getConnectorId(), ConnectorSignal.newBuilder().setQueueSnapshot(snapshot).build(),
                Math.max(0, asOf)), outputs.queueSignals());
        }
    }

    private static void fillMessageFields(final QueuedRecipient s, final MessageTrace trace) {
        if (s.getOriginalSender() == null) {
            s.setOriginalSender(FailureText.originalSender(trace));
        }
        if (s.getSubject() == null) {
            s.setSubject(trace.getSubject());
        }
        if (s.getMessageId() == null) {
            s.setMessageId(trace.getMessageId());
        }
        if (s.getNetworkMessageId() == null) {
            s.setNetworkMessageId(trace.getNetworkMessageId());
        }
    }

}
