package io.mailflow.notify;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.Severity;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link ConnectorAlert} as Alertmanager takes it: the record's identifying labels as labels,
 * everything descriptive as annotations (summary, description = remediation, last_error,
 * runbook_url, dashboard_url, counts), startsAt the episode's start, generatorURL the dashboard.
 * A RESOLVED record ends at its resolve time; an active one at {@code activeUntil}, which the
 * bridge moves on with every re-post, as Prometheus does, so that Alertmanager resolves the alert
 * by itself if the bridge goes away.
 */
public final class AlertmanagerMapping {
    private AlertmanagerMapping() {
    }

    /**
     * The labels that identify {@code alert}'s episode: the record's own, or for a record written
     * before mailflow put labels in alerts, the same set derived from its fields.
     */
    public static Map<String, String> labels(final ConnectorAlert alert) {
        if (alert.getLabels() != null && !alert.getLabels().isEmpty()) {
            return new LinkedHashMap<>(alert.getLabels());
        }
        final Map<String, String> labels = new LinkedHashMap<>();
        final boolean failure = alert.getType() == AlertType.CONNECTOR_FAILURE;
        labels.put("alertname", failure ? "MailflowConnectorFailure" : "MailflowQueueBacklog");
        labels.put("connector", alert.getConnectorId());
        if (failure) {
            labels.put("status_code", alert.getStatusCode() == null ? "unknown" : alert.getStatusCode());
            labels.put("category", alert.getCategory() == null ? "OTHER_TRANSIENT" : alert.getCategory().name());
        }
        // an old RESOLVED record says INFO; the bridge keeps the labels of the episode's first record it read
        labels.put("severity", (failure ? alert.getSeverity() : Severity.HIGH).name().toLowerCase(Locale.ROOT));
        return labels;
    }

    /**
     * {@code alert} for Alertmanager, identified by {@code episodeLabels} (those of the first record
     * of its episode, so a resolve matches its firing alert even if a later record's labels differ).
     */
    public static AlertmanagerAlert toAlertmanager(final ConnectorAlert alert, final Map<String, String> episodeLabels,
                                                   final AlertLinks links, final Instant activeUntil) {
        final String alertname = episodeLabels.getOrDefault("alertname", "");
        final Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("summary", alert.getSummary());
        annotations.put("description", alert.getRemediation());
        put(annotations, "last_error", alert.getLastError());
        final String runbook = links.runbook(alert, alertname);
        final String dashboard = links.dashboard(alert, alertname);
        put(annotations, "runbook_url", runbook);
        put(annotations, "dashboard_url", dashboard);
        annotations.put("alert_id", alert.getAlertId());
        annotations.put("state", alert.getState().name());
        annotations.put("type", alert.getType().name());
        annotations.put("event_time", alert.getEventTime().toString());
        put(annotations, "status_code", alert.getStatusCode());
        put(annotations, "smtp_reply", alert.getSmtpReply());
        put(annotations, "category", alert.getCategory() == null ? null : alert.getCategory().name());
        put(annotations, "first_failure_time", alert.getFirstFailureTime());
        put(annotations, "last_failure_time", alert.getLastFailureTime());
        if (alert.getType() == AlertType.CONNECTOR_FAILURE) {
            annotations.put("failure_count", Long.toString(alert.getFailureCount()));
            annotations.put("affected_messages", Long.toString(alert.getAffectedMessages()));
        }
        annotations.put("queued_recipients", Long.toString(alert.getQueuedRecipients()));
        put(annotations, "oldest_queued_time", alert.getOldestQueuedTime());
        if (!alert.getDestinations().isEmpty()) {
            annotations.put("destinations", String.join(", ", alert.getDestinations()));
        }
        return new AlertmanagerAlert(episodeLabels, annotations, startsAt(alert), endsAt(alert, activeUntil), dashboard);
    }

    /** The episode's start; records written before startsAt existed fall back to the first failure, then the event time. */
    static Instant startsAt(final ConnectorAlert alert) {
        if (alert.getStartsAt() != null) {
            return alert.getStartsAt();
        }
        return alert.getFirstFailureTime() != null ? alert.getFirstFailureTime() : alert.getEventTime();
    }

    static Instant endsAt(final ConnectorAlert alert, final Instant activeUntil) {
        if (alert.getState() != AlertState.RESOLVED) {
            return activeUntil;
        }
        return alert.getEndsAt() != null ? alert.getEndsAt() : alert.getEventTime();
    }

    private static void put(final Map<String, String> annotations, final String name, final Object value) {
        if (value != null) {
            annotations.put(name, value.toString());
        }
    }
}
