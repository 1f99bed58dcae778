package io.mailflow.detect;

import io.mailflow.classify.ClassifiedTrace;
import io.mailflow.config.DetectionConfig;
import io.mailflow.avro.internal.StatsPartial;
import io.mailflow.classify.Classification;
import io.mailflow.classify.Outcome;
import io.mailflow.state.HeapWindow;
import io.mailflow.state.BatchChangelog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Counts delivery attempts per (connector, code, window) in the task of each input partition,
 * where traces already are (keyed by message), so the full trace stream never crosses the
 * network by connector. A partial is sent on, keyed "connector|code", once this task's stream
 * time passes window end + grace; only partials are repartitioned.
 *
 * <p>Distinct messages: per message and window, the connector codes it was counted under, kept on
 * the heap by message at the window's start ({@link HeapWindow}) and logged once per commit
 * ({@link #MESSAGES_LOG_STORE}). A message's attempts in one
 * window share that entry, so it reaches the changelog about once per message and window, and
 * it leaves the heap two windows and a grace after its window started (no deletes). The entries outlive the
 * window's close, even when the idle flush sends counts early, so a message is never counted
 * twice in one window.
 *
 * <p>Heartbeats: at every grid point of the heartbeat interval ({@link SourceProgress}) the task
 * sends a heartbeat partial that is broadcast to all partitions of the partials topic, so a closer
 * whose own connectors went quiet still sees time pass and closes their last windows; and an idle
 * heartbeat when its partition is caught up and quiet.
 */
public final class StatsPreAggregator implements Processor<String, ClassifiedTrace, String, StatsPartial> {
    public static final String COUNTS_STORE = "stats-partial-counts";
    /** The messages counted per window: a {@link HeapWindow}, no Kafka store (the name its log's serdes use). */
    public static final String MESSAGES_STORE = "stats-partial-messages";
    /** The changelog of {@link #MESSAGES_STORE}, written once per commit. */
    public static final String MESSAGES_LOG_STORE = "stats-partial-messages-log";
    static final String LATE_STAGE = "stats";

    private final long windowMs;
    private final long graceMs;
    private final long heartbeatMs;
    private final Duration idleFlush;
    private final int maxDestinations;

    private ProcessorContext<String, StatsPartial> context;
    private KeyValueStore<String, StatsPartial> counts;
    private HeapWindow<String, String> messages;
    private long streamTime = Long.MIN_VALUE;
    private static final long UNKNOWN = Long.MIN_VALUE;
    private static final long NOTHING_STORED = Long.MAX_VALUE;
    /** The message, window start and connector codes of the {@link #MESSAGES_STORE} entry last read or written. */
    private String lastCountedKey;
    private long lastCountedStart;
    private String lastCounted;
    /** Earliest window end among stored windows, so most records need no store scan; UNKNOWN after a restart. */
    private long earliestWindowEnd = UNKNOWN;
    private long lastRecordWallClock;
    private final DetectionConfig config;
    private final String sourceTopic;
    private SourceProgress progress;
    /** Asked only when a heartbeat could be held; made once, not per record. */
    private final java.util.function.Supplier<java.util.OptionalLong> lagProbe = this::sourceLag;

    public StatsPreAggregator(final DetectionConfig config, final String sourceTopic) {
        this.config = config;
        this.sourceTopic = sourceTopic;
        this.windowMs = config.window().toMillis();
        this.graceMs = config.grace().toMillis();
        this.heartbeatMs = config.heartbeat().toMillis();
        this.idleFlush = config.idleFlush();
        this.maxDestinations = config.maxDestinations();
    }

    @Override
    public void init(final ProcessorContext<String, StatsPartial> context) {
        this.context = context;
        this.counts = context.getStateStore(COUNTS_STORE);
        this.messages = BatchChangelog.inHeap(context.getStateStore(MESSAGES_LOG_STORE), messagesRetention(config));
        // a task rolled back after an aborted transaction is initialized again on this same object:
        // fields start over, as after a restart (docs/architecture.md, "Faults lose nothing")
        this.streamTime = Long.MIN_VALUE;
        this.earliestWindowEnd = UNKNOWN;
        this.lastCountedKey = null;
        this.lastCounted = null;
        this.lastRecordWallClock = context.currentSystemTimeMs();
        this.progress = new SourceProgress(heartbeatMs, config.partitionIdle().toMillis(), context.currentSystemTimeMs());
        // only the partition's own task can tell "caught up and quiet" from "behind"
        context.schedule(config.partitionIdle().dividedBy(2), PunctuationType.WALL_CLOCK_TIME, now -> {
            if (progress.idleNow(now, SourceLag.onThisThread(new TopicPartition(sourceTopic, context.taskId().partition())))) {
                final StatsPartial idle = StatsPartials.heartbeat(context.taskId().partition(), progress.idleTime());
                idle.setIdle(true);
                context.forward(new Record<>("", idle, Math.max(0, progress.idleTime())));
            }
        });
        context.schedule(java.time.Duration.ofMillis(SourceProgress.HISTORY_HEARTBEAT_MS), PunctuationType.WALL_CLOCK_TIME, now -> {
            final long held = progress.heldNow(now);
            if (held != SourceProgress.NONE) {
                context.forward(new Record<>("", StatsPartials.heartbeat(context.taskId().partition(), held), Math.max(0, held)));
            }
        });
        if (!idleFlush.isZero()) {
            // wall clock only decides *when* open partials are sent early, never what they count
            context.schedule(idleFlush.dividedBy(2).isZero() ? idleFlush : idleFlush.dividedBy(2),
                PunctuationType.WALL_CLOCK_TIME, this::flushIfIdle);
        }
    }

    @Override
    public void process(final Record<String, ClassifiedTrace> record) {
        final ClassifiedTrace attempt = record.value();
        streamTime = Math.max(streamTime, Math.max(context.currentStreamTimeMs(), record.timestamp()));
        lastRecordWallClock = context.currentSystemTimeMs();
        final Classification c = attempt == null ? null : attempt.classification();
        if (c != null && c.outcome() != Outcome.NOT_AN_ATTEMPT) {
            count(record.key(), attempt, c);
        }
        closeWindows();
        final long heartbeat = progress.afterRecord(streamTime, context.currentSystemTimeMs(), lagProbe);
        if (heartbeat != SourceProgress.NONE) {
            context.forward(new Record<>("", StatsPartials.heartbeat(context.taskId().partition(), heartbeat), Math.max(0, heartbeat)));
        }
    }

    private void count(final String messageKey, final ClassifiedTrace attempt, final Classification c) {
        final long eventTime = attempt.eventTime();
        final long start = StatsPartials.windowStart(eventTime, windowMs);
        final long end = start + windowMs;
        if (end + graceMs <= streamTime) {
            // its window was flushed already; the stats stay as emitted, the metric shows how often
            DetectionMetrics.late(LATE_STAGE);
            return;
        }
        final String connectorCode = ConnectorKeys.connectorCode(attempt.connectorId(), c.statusCode());
        final String windowKey = ConnectorKeys.windowKey(start, connectorCode);
        final boolean newMessage = countMessage(messageKey == null ? ClassifiedTrace.UNKNOWN_CONNECTOR : messageKey, start, connectorCode);
        StatsPartial partial = counts.get(windowKey);
        if (partial == null) {
            partial = StatsPartials.empty(attempt.connectorId(), c.statusCode(), c.category(), start, end);
        }
        StatsPartials.count(partial, c, newMessage, maxDestinations);
        counts.put(windowKey, partial);
        if (earliestWindowEnd != UNKNOWN && end < earliestWindowEnd) {
            earliestWindowEnd = end;
        }
    }

    /** True when the message is new under this connector code in the window starting at {@code start}; remembers it. */
    private boolean countMessage(final String messageKey, final long start, final String connectorCode) {
        // a message's attempts (one line per recipient) follow each other: the entry last read or
        // written is what the store holds for it, and still there, since its window is open
        final String counted = messageKey.equals(lastCountedKey) && start == lastCountedStart
            ? lastCounted : messages.fetch(messageKey, start);
        if (counted == null) {
            messages.put(messageKey, connectorCode, start);
            lastCounted(messageKey, start, connectorCode);
            return true;
        }
        for (final String code : counted.split("\n", -1)) {
            if (code.equals(connectorCode)) {
                lastCounted(messageKey, start, counted);
                return false;
            }
        }
        final String more = counted + '\n' + connectorCode;
        messages.put(messageKey, more, start);
        lastCounted(messageKey, start, more);
        return true;
    }

    private void lastCounted(final String messageKey, final long start, final String codes) {
        lastCountedKey = messageKey;
        lastCountedStart = start;
        lastCounted = codes;
    }

    /**
     * How long the message entries are kept: a window and its grace after the window's start
     * (until it closes), and a window more, since the store drops by its own stream time, which
     * may run ahead of the record being counted.
     */
    public static java.time.Duration messagesRetention(final DetectionConfig config) {
        return config.window().multipliedBy(2).plus(config.grace());
    }

    /** Sends and forgets the partials of every window whose end + grace this task's stream time has passed. */
    private void closeWindows() {
        if (earliestWindowEnd != UNKNOWN && earliestWindowEnd > streamTime - graceMs) {
            return;
        }
        final long firstOpenStart = firstOpenWindowStart();
        final String bound = ConnectorKeys.windowPrefix(firstOpenStart);
        final List<String> closed = new ArrayList<>();
        try (KeyValueIterator<String, StatsPartial> it = counts.range(null, bound)) {
            while (it.hasNext()) {
                final KeyValue<String, StatsPartial> entry = it.next();
                if (entry.key.compareTo(bound) >= 0) {
                    break;
                }
                closed.add(entry.key);
                forward(entry.value);
            }
        }
        closed.forEach(counts::delete);
        earliestWindowEnd = earliestStoredWindowEnd();
    }

    /** Start of the earliest window that is still open at the current stream time. */
    private long firstOpenWindowStart() {
        // closed: start + window + grace <= streamTime  <=>  start <= streamTime - grace - window
        final long lastClosedStart = StatsPartials.windowStart(streamTime - graceMs - windowMs, windowMs);
        return lastClosedStart + windowMs;
    }

    private long earliestStoredWindowEnd() {
        long earliest = NOTHING_STORED;
        try (KeyValueIterator<String, StatsPartial> it = counts.all()) {
            if (it.hasNext()) {
                earliest = ConnectorKeys.windowStartOf(it.next().key) + windowMs;
            }
        }
        return earliest;
    }

    /** After a spell without input (wall clock), send open partials early; they are deltas, so the closer's sum stays right. */
    private void flushIfIdle(final long now) {
        if (now - lastRecordWallClock < idleFlush.toMillis()) {
            return;
        }
        final List<String> sent = new ArrayList<>();
        try (KeyValueIterator<String, StatsPartial> it = counts.all()) {
            while (it.hasNext()) {
                final KeyValue<String, StatsPartial> entry = it.next();
                sent.add(entry.key);
                forward(entry.value);
            }
        }
        sent.forEach(counts::delete);
    }

    /**
     * A partial is stamped with the moment its window closed in this partition (end + grace), or
     * the stream time if it goes out early: never later, so a task whose stream time jumped ahead
     * does not make its own partial look late to the closer.
     */
    private void forward(final StatsPartial partial) {
        final long closedAt = partial.getWindowEnd() + graceMs;
        final long timestamp = streamTime == Long.MIN_VALUE ? closedAt : Math.min(streamTime, closedAt);
        context.forward(new Record<>(ConnectorKeys.connectorCode(partial.getConnectorId(), partial.getStatusCode()), partial, timestamp));
    }

    /** How far this task's consumer is behind the end of its traces partition, when known. */
    private java.util.OptionalLong sourceLag() {
        return SourceLag.onThisThread(new TopicPartition(sourceTopic, context.taskId().partition()));
    }
}
