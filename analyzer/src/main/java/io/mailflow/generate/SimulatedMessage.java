package io.mailflow.generate;

import io.mailflow.avro.Direction;
import java.util.ArrayList;
import java.util.List;

/** A message in the simulated queue: its ids, route and the recipients still waiting for delivery. */
final class SimulatedMessage {
    final ConnectorProfile connector;
    final String server;
    final String networkMessageId;
    final String messageId;
    final String internalMessageId;
    final String sender;
    final String subject;
    final long sizeBytes;
    final Direction direction;
    final String destinationHost;
    final String destinationIp;
    final String clientHost;
    final String clientIp;
    final long receivedAt;
    final List<String> pending;
    /** A message gets at most one sporadic deferral, so a sporadic failure never repeats into a pattern. */
    boolean sporadicSpent;
    int deferrals;

    SimulatedMessage(final ConnectorProfile connector, final String server, final String networkMessageId,
                     final String messageId, final String internalMessageId, final String sender, final String subject,
                     final long sizeBytes, final Direction direction, final String destinationHost, final String destinationIp,
                     final String clientHost, final String clientIp, final long receivedAt, final List<String> recipients) {
        this.connector = connector;
        this.server = server;
        this.networkMessageId = networkMessageId;
        this.messageId = messageId;
        this.internalMessageId = internalMessageId;
        this.sender = sender;
        this.subject = subject;
        this.sizeBytes = sizeBytes;
        this.direction = direction;
        this.destinationHost = destinationHost;
        this.destinationIp = destinationIp;
        this.clientHost = clientHost;
        this.clientIp = clientIp;
        this.receivedAt = receivedAt;
        this.pending = new ArrayList<>(recipients);
    }

    String recipientDomain() {
        final String first = pending.isEmpty() ? null : pending.get(0);
        return first == null ? null : first.substring(first.indexOf('@') + 1);
    }
}
