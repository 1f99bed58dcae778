package io.mailflow.emit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.Severity;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AvroJsonTest {

    @Test
    void rendersSchemaFieldNamesIsoTimestampsEnumSymbolsAndPlainUnions() {
        final ConnectorAlert alert = ConnectorAlert.newBuilder()
            .setAlertId("a1").setType(AlertType.CONNECTOR_FAILURE).setState(AlertState.FIRING)
            .setConnectorId("Outbound to Contoso").setStatusCode("4.4.316").setSmtpReply("450")
            .setCategory(FailureCategory.CONNECTION_REFUSED).setSeverity(Severity.HIGH)
            .setEventTime(Instant.parse("2026-03-02T10:15:00Z"))
            .setFirstFailureTime(Instant.parse("2026-03-02T10:00:00Z")).setLastFailureTime(null)
            .setFailureCount(5).setAffectedMessages(3).setQueuedRecipients(0).setOldestQueuedTime(null)
            .setDestinations(List.of("mail.contoso.com")).setLastError(null)
            .setRemediation("r").setSummary("s \"quoted\"")
            .setStartsAt(Instant.parse("2026-03-02T10:00:00Z")).setEndsAt(null)
            .setLabels(new java.util.LinkedHashMap<>(java.util.Map.of("alertname", "MailflowConnectorFailure"))).build();

        assertEquals("{\"alertId\":\"a1\",\"type\":\"CONNECTOR_FAILURE\",\"state\":\"FIRING\","
            + "\"connectorId\":\"Outbound to Contoso\",\"statusCode\":\"4.4.316\",\"smtpReply\":\"450\","
            + "\"category\":\"CONNECTION_REFUSED\",\"severity\":\"HIGH\",\"eventTime\":\"2026-03-02T10:15:00Z\","
            + "\"firstFailureTime\":\"2026-03-02T10:00:00Z\",\"lastFailureTime\":null,\"failureCount\":5,"
            + "\"affectedMessages\":3,\"queuedRecipients\":0,\"oldestQueuedTime\":null,"
            + "\"destinations\":[\"mail.contoso.com\"],\"lastError\":null,\"remediation\":\"r\",\"summary\":\"s \\\"quoted\\\"\","
            + "\"startsAt\":\"2026-03-02T10:00:00Z\",\"endsAt\":null,\"labels\":{\"alertname\":\"MailflowConnectorFailure\"}}",
            AvroJson.toJson(alert));
    }
}
