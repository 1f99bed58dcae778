package io.mailflow.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.Severity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A ConnectorAlert as Alertmanager takes it")
class AlertmanagerMappingTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final Instant ACTIVE_UNTIL = Instant.parse("2026-12-02T12:04:00Z");
    private static final AlertLinks LINKS = new AlertLinks("https://wiki.example/mailflow/{code}",
        "https://grafana.example/d/mailflow?var-connector={connector}");

    static ConnectorAlert failure(final AlertState state, final Instant eventTime) {
        final Map<String, String> labels = new LinkedHashMap<>();
        labels.put("alertname", "MailflowConnectorFailure");
        labels.put("connector", "Outbound to Contoso");
        labels.put("status_code", "4.4.316");
        labels.put("category", "CONNECTION_REFUSED");
        labels.put("severity", "high");
        return ConnectorAlert.newBuilder()
            .setAlertId("Outbound to Contoso|4.4.316|" + T0).setType(AlertType.CONNECTOR_FAILURE).setState(state)
            .setConnectorId("Outbound to Contoso").setStatusCode("4.4.316").setSmtpReply("450")
            .setCategory(FailureCategory.CONNECTION_REFUSED).setSeverity(state == AlertState.RESOLVED ? Severity.INFO : Severity.HIGH)
            .setEventTime(eventTime).setFirstFailureTime(T0).setLastFailureTime(T0.plusSeconds(900))
            .setFailureCount(5).setAffectedMessages(3).setQueuedRecipients(7).setOldestQueuedTime(T0)
            .setDestinations(List.of("mail.contoso.com 203.0.113.10")).setLastError("450 4.4.316 Connection refused")
            .setRemediation("Ask Contoso to check their firewall.").setSummary("Contoso: 4.4.316 connection refused for 15 min.")
            .setStartsAt(T0).setEndsAt(state == AlertState.RESOLVED ? eventTime : null).setLabels(labels)
            .build();
    }

    @Test
    @DisplayName("firing: identifying labels, descriptive annotations, startsAt the episode's start, active until the given time")
    void firing() {
        final ConnectorAlert alert = failure(AlertState.FIRING, T0.plusSeconds(900));
        final AlertmanagerAlert am = AlertmanagerMapping.toAlertmanager(alert, AlertmanagerMapping.labels(alert), LINKS, ACTIVE_UNTIL);
        assertEquals(Map.of("alertname", "MailflowConnectorFailure", "connector", "Outbound to Contoso", "status_code", "4.4.316",
            "category", "CONNECTION_REFUSED", "severity", "high"), am.labels());
        assertEquals("Contoso: 4.4.316 connection refused for 15 min.", am.annotations().get("summary"));
        assertEquals("Ask Contoso to check their firewall.", am.annotations().get("description"));
        assertEquals("450 4.4.316 Connection refused", am.annotations().get("last_error"));
        assertEquals("https://wiki.example/mailflow/4.4.316", am.annotations().get("runbook_url"));
        assertEquals("https://grafana.example/d/mailflow?var-connector=Outbound%20to%20Contoso", am.annotations().get("dashboard_url"));
        assertEquals(am.annotations().get("dashboard_url"), am.generatorUrl(), "generatorURL is the dashboard link");
        assertEquals(alert.getAlertId(), am.annotations().get("alert_id"));
        assertEquals("5", am.annotations().get("failure_count"));
        assertEquals(T0, am.startsAt());
        assertEquals(ACTIVE_UNTIL, am.endsAt());
        assertTrue(am.labels().values().stream().noneMatch(v -> v.contains("refused for")), "no free text in labels");
    }

    @Test
    @DisplayName("resolved: the same labels, endsAt the resolve time")
    void resolved() {
        final ConnectorAlert firing = failure(AlertState.FIRING, T0.plusSeconds(900));
        final Instant end = T0.plusSeconds(2700);
        final ConnectorAlert resolved = failure(AlertState.RESOLVED, end);
        final AlertmanagerAlert am = AlertmanagerMapping.toAlertmanager(resolved, AlertmanagerMapping.labels(firing), LINKS, ACTIVE_UNTIL);
        assertEquals(AlertmanagerMapping.labels(firing), am.labels());
        assertEquals(end, am.endsAt());
        assertEquals(T0, am.startsAt());
        assertEquals("RESOLVED", am.annotations().get("state"));
    }

    @Test
    @DisplayName("a record written before startsAt and labels existed: labels derived, startsAt the first failure")
    void recordOfAnEarlierVersion() {
        final ConnectorAlert old = failure(AlertState.UPDATED, T0.plusSeconds(1200));
        old.setStartsAt(null);
        old.setLabels(Map.of());
        final AlertmanagerAlert am = AlertmanagerMapping.toAlertmanager(old, AlertmanagerMapping.labels(old), AlertLinks.none(), ACTIVE_UNTIL);
        assertEquals(Map.of("alertname", "MailflowConnectorFailure", "connector", "Outbound to Contoso", "status_code", "4.4.316",
            "category", "CONNECTION_REFUSED", "severity", "high"), am.labels());
        assertEquals(T0, am.startsAt());
        assertFalse(am.annotations().containsKey("runbook_url"), "no template, no link");
        assertNull(am.generatorUrl());
    }

    @Test
    @DisplayName("the request body is Alertmanager's postableAlerts: a JSON array of labels, annotations, startsAt, endsAt, generatorURL")
    void requestBody() throws Exception {
        final ConnectorAlert alert = failure(AlertState.FIRING, T0.plusSeconds(900));
        final byte[] body = AlertmanagerClient.body(List.of(
            AlertmanagerMapping.toAlertmanager(alert, AlertmanagerMapping.labels(alert), LINKS, ACTIVE_UNTIL)));
        final JsonNode json = new ObjectMapper().readTree(body);
        assertTrue(json.isArray());
        assertEquals(1, json.size());
        final JsonNode a = json.get(0);
        assertEquals(List.of("labels", "annotations", "startsAt", "endsAt", "generatorURL"), iterable(a.fieldNames()));
        assertEquals("2026-03-02T10:00:00Z", a.get("startsAt").asText());
        assertEquals("2026-12-02T12:04:00Z", a.get("endsAt").asText());
        assertEquals("Outbound to Contoso", a.get("labels").get("connector").asText());
    }

    @Test
    @DisplayName("link templates: {code} is 'backlog' for QUEUE_BACKLOG, values are URL-encoded")
    void links() {
        final ConnectorAlert backlog = ConnectorAlert.newBuilder(failure(AlertState.FIRING, T0)).setType(AlertType.QUEUE_BACKLOG)
            .setConnectorId("To HQ/1").build();
        assertEquals("https://wiki.example/mailflow/backlog", LINKS.runbook(backlog, "MailflowQueueBacklog"));
        assertEquals("https://x/To%20HQ%2F1/queue_backlog/MailflowQueueBacklog",
            new AlertLinks("https://x/{connector}/{type}/{alertname}", null).runbook(backlog, "MailflowQueueBacklog"));
    }

    private static List<String> iterable(final java.util.Iterator<String> it) {
        final List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
