package io.mailflow.detect;

import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.classify.Classification;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Picks the transient (4.x.x) failures out of the trace stream, slims each to a
 * {@link ConnectorFailure} keyed "connector|code" for the episode detector, and counts every
 * failure (transient and permanent) in the failures metric. Permanent failures are recipient
 * problems: they go to stats and NDRs, never into episodes. Every heartbeat interval of stream
 * time a heartbeat goes out to all detector partitions (see {@link HeartbeatBroadcast}).
 */
final class TransientFailureRouter implements Processor<String, ClassifiedTrace, String, ConnectorFailure> {
    private static final int MAX_TEXT = 1024;
    private final long heartbeatMs;
    private ProcessorContext<String, ConnectorFailure> context;
    private long lastHeartbeat = Long.MIN_VALUE;

    TransientFailureRouter(final DetectionConfig config) {
        this.heartbeatMs = config.heartbeat().toMillis();
    }

    @Override
    public void init(final ProcessorContext<String, ConnectorFailure> context) {
        this.context = context;
    }

    @Override
    public void process(final Record<String, ClassifiedTrace> record) {
        final ClassifiedTrace attempt = record.value();
        final Classification c = attempt == null ? null : attempt.classification();
        if (c != null && (c.isTransientFailure() || c.isPermanentFailure())) {
            DetectionMetrics.failure(attempt.connectorId(), c.category());
            if (c.isTransientFailure()) {
                context.forward(new Record<>(ConnectorKeys.connectorCode(attempt.connectorId(), c.statusCode()),
                    slim(record.key(), attempt, c), record.timestamp()));
            }
        }
        final long streamTime = Math.max(context.currentStreamTimeMs(), record.timestamp());
        if (lastHeartbeat == Long.MIN_VALUE || streamTime - lastHeartbeat >= heartbeatMs) {
            lastHeartbeat = streamTime;
            context.forward(new Record<>("", heartbeat(context.taskId().partition(), streamTime), streamTime));
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
}
