package io.mailflow.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.Severity;
import io.mailflow.avro.internal.QueuedRecipient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Query API JSON: recipients and alerts as the contract names them")
class QueryJsonTest {
    private static final long T0 = Instant.parse("2026-03-02T06:15:00Z").toEpochMilli();

    private static QueuedRecipient.Builder recipient() {
        return QueuedRecipient.newBuilder()
            .setRecipient("Ann@Contoso.com")
            .setQueuedSince(T0)
            .setFirstDeferralTime(T0 + 60_000)
            .setLastAttemptTime(T0 + 600_000)
            .setAttempts(3)
            .setConnectorId("partner-contoso")
            .setLastError("451 4.4.316 Connection refused")
            .setLastStatusCode("4.4.316")
            .setRemoteMta("mx.contoso.com")
            .setOriginalSender("bob@example.org")
            .setMessageId("<m1@example.org>")
            .setNetworkMessageId("0b3c-net")
            .setNextDeadline(T0 + 4 * 3_600_000);
    }

    @Test
    @DisplayName("a queued recipient: every field, times as ISO-8601 UTC, missing ones as null")
    void queuedRecipient() {
        final ObjectNode n = QueryJson.recipient(recipient().build());
        assertEquals(List.of("recipient", "status", "connectorId", "queuedSince", "firstDeferralTime", "lastAttemptTime", "attempts",
            "lastError", "lastStatusCode", "remoteMta", "delayNoticeSent", "ndrSent", "originalSender", "subject", "messageId",
            "networkMessageId"), fieldNames(n));
        assertEquals("Ann@Contoso.com", n.path("recipient").asText());
        assertEquals("queued", n.path("status").asText());
        assertEquals("2026-03-02T06:15:00Z", n.path("queuedSince").asText());
        assertEquals("2026-03-02T06:16:00Z", n.path("firstDeferralTime").asText());
        assertEquals("2026-03-02T06:25:00Z", n.path("lastAttemptTime").asText());
        assertEquals(3, n.path("attempts").asInt());
        assertTrue(n.path("subject").isNull());
        assertFalse(n.path("delayNoticeSent").asBoolean());
        assertFalse(n.path("ndrSent").asBoolean());
    }

    @Test
    @DisplayName("flags: delay notice sent (1), expiry NDR sent (4) = status expired; the backlog-age bit (2) shows nowhere")
    void flags() {
        final ObjectNode delayed = QueryJson.recipient(recipient().setFlags(1 | 2).build());
        assertTrue(delayed.path("delayNoticeSent").asBoolean());
        assertFalse(delayed.path("ndrSent").asBoolean());
        assertEquals("queued", delayed.path("status").asText());
        final ObjectNode expired = QueryJson.recipient(recipient().setFlags(1 | 4).build());
        assertTrue(expired.path("ndrSent").asBoolean());
        assertEquals("expired", expired.path("status").asText());
    }

    @Test
    @DisplayName("an alert: every field of the record, by the schema, enums by name and times as ISO strings")
    void alert() {
        final ConnectorAlert alert = ConnectorAlert.newBuilder()
            .setAlertId("partner-contoso|4.4.316|2026-03-02T06:15:00Z").setType(AlertType.CONNECTOR_FAILURE).setState(AlertState.FIRING)
            .setConnectorId("partner-contoso").setStatusCode("4.4.316").setCategory(FailureCategory.CONNECTION_REFUSED)
            .setSeverity(Severity.HIGH).setEventTime(Instant.ofEpochMilli(T0)).setFailureCount(7).setAffectedMessages(5)
            .setQueuedRecipients(9).setDestinations(new ArrayList<>(List.of("mx.contoso.com"))).setRemediation("Call Contoso.")
            .setSummary("partner-contoso: 4.4.316 connection refused").build();
        final ObjectNode n = QueryJson.avro(alert);
        final List<String> schemaFields = alert.getSchema().getFields().stream().map(f -> f.name()).toList();
        assertEquals(schemaFields, fieldNames(n), "every field of the schema, in its order: new fields appear by themselves");
        assertEquals("CONNECTOR_FAILURE", n.path("type").asText());
        assertEquals("2026-03-02T06:15:00Z", n.path("eventTime").asText());
        assertTrue(n.path("firstFailureTime").isNull());
        assertEquals("mx.contoso.com", n.path("destinations").path(0).asText());
    }

    @Test
    @DisplayName("times: null stays null; ISO strings read back to the same millisecond")
    void times() {
        assertEquals(null, QueryJson.time(null));
        assertEquals(T0 + 5, QueryJson.millis(QueryJson.MAPPER.getNodeFactory().textNode(QueryJson.time(T0 + 5))));
    }

    private static List<String> fieldNames(final JsonNode n) {
        final List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
