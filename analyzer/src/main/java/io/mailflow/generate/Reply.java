package io.mailflow.generate;

import io.mailflow.avro.EventType;

/** What one delivery attempt (or arrival) looks like in the log: event, codes, text, the other side. */
record Reply(EventType eventType, String connectorId, String smtpReply, String statusCode, String responseText,
             String remoteHost, String remoteIp) {
}
