package io.mailflow.detect;

import io.mailflow.classify.ClassifiedTrace;
import io.mailflow.config.DetectionConfig;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorSignal;
import io.mailflow.classify.Classification;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Picks the transient (4.x.x) failures out of the trace stream, slims each to a
 * {@link ConnectorFailure} keyed "connector|code" for the episode detector, and counts every
 * failure (transient and permanent) in the failures metric. Permanent failures are recipient
 * problems: they go to stats and NDRs, never into episodes. Heartbeats on the event-time grid of
 * {@link SourceProgress} go out to all connector partitions (see {@link HeartbeatBroadcast}), and
 * an idle heartbeat when the partition is caught up and quiet.
 */
public final class TransientFailureRouter implements Processor<String, ClassifiedTrace, String, ConnectorSignal> {
    private static final int MAX_TEXT = 1024;
    private final DetectionConfig config;
    private final String sourceTopic;
    private ProcessorContext<String, ConnectorSignal> context;
    private SourceProgress progress;
    /** Asked only when a heartbeat could be held; made once, not per record. */
    private final java.util.function.Supplier<java.util.OptionalLong> lagProbe = this::sourceLag;

    public TransientFailureRouter(final DetectionConfig config, final String sourceTopic) {
        this.config = config;
        this.sourceTopic = sourceTopic;
    }

    @Override
    public void init(final ProcessorContext<String, ConnectorSignal> context) {
        this.context = context;
        this.progress = new SourceProgress(config.heartbeat().toMillis(), config.partitionIdle().toMillis(),
            context.currentSystemTimeMs());
        // only the partition's own task can tell "caught up and quiet" from "behind"
        context.schedule(config.partitionIdle().dividedBy(2), PunctuationType.WALL_CLOCK_TIME, now -> {
            if (progress.idleNow(now, SourceLag.onThisThread(new TopicPartition(sourceTopic, context.taskId().partition())))) {
                final ConnectorFailure idle = heartbeat(context.taskId().partition(), progress.idleTime());
                idle.setIdle(true);
                context.forward(new Record<>("", ConnectorSignals.failure(idle), Math.max(0, progress.idleTime())));
            }
        });
        context.schedule(java.time.Duration.ofMillis(SourceProgress.HISTORY_HEARTBEAT_MS), PunctuationType.WALL_CLOCK_TIME, now -> {
            final long held = progress.heldNow(now);
            if (held != SourceProgress.NONE) {
                context.forward(new Record<>("", ConnectorSignals.failure(heartbeat(context.taskId().partition(), held)), Math.max(0, held)));
            }
        });
    }

    @Override
    public void process(final Record<String, ClassifiedTrace> record) {
        final ClassifiedTrace attempt = record.value();
        final Classification c = attempt == null ? null : attempt.classification();
        if (c != null && (c.isTransientFailure() || c.isPermanentFailure())) {
            DetectionMetrics.failure(attempt.connectorId(), c.category());
            if (c.isTransientFailure()) {
                context.forward(new Record<>(ConnectorKeys.connectorCode(attempt.connectorId(), c.statusCode()),
                    ConnectorSignals.failure(slim(record.key(), attempt, c)), record.timestamp()));
            }
        }
        final long streamTime = Math.max(context.currentStreamTimeMs(), record.timestamp());
        final long heartbeat = progress.afterRecord(streamTime, context.currentSystemTimeMs(), lagProbe);
        if (heartbeat != SourceProgress.NONE) {
            context.forward(new Record<>("", ConnectorSignals.failure(heartbeat(context.taskId().partition(), heartbeat)), Math.max(0, heartbeat)));
        }
    }

    static ConnectorFailure heartbeat(final int sourcePartition, final long streamTime) {
        return ConnectorFailure.newBuilder().setHeartbeat(true).setSourcePartition(sourcePartition).setConnectorId("").setEventTime(streamTime).build();
    }

    private static ConnectorFailure slim(final String messageKey, final ClassifiedTrace attempt, final Classification c) {
        final String text = attempt.trace().getResponseText();
        return ConnectorFailure.newBuilder()
            .setHeartbeat(false)
            .setConnectorId(attempt.connectorId())
            .setStatusCode(c.statusCode())
            .setSmtpReply(c.smtpReply())
            .setCategory(c.category())
            .setEventTime(attempt.eventTime())
            .setMessageKey(messageKey)
            .setDestinationHost(c.destinationHost())
            .setDestinationIp(c.destinationIp())
            .setResponseText(text == null || text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT))
            .build();
    }

    /** How far this task's consumer is behind the end of its traces partition, when known. */
    private java.util.OptionalLong sourceLag() {
        return SourceLag.onThisThread(new TopicPartition(sourceTopic, context.taskId().partition()));
    }
}
