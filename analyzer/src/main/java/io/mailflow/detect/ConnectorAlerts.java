package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.Severity;
import io.mailflow.avro.internal.FailureEpisode;
import io.mailflow.classify.ConnectorInfo;
import io.mailflow.classify.ConnectorKind;
import io.mailflow.classify.FailureClassifier;
import io.mailflow.classify.Remediation;
import io.mailflow.classify.ResponseText;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the alerts people read: state, counts, and a summary sentence plus remediation that
 * name the connector the way the catalog does and say who has to act; and what on-call tools
 * need besides (startsAt, endsAt, identifying labels), all from the episode, never the clock.
 */
final class ConnectorAlerts {
    /** Alertmanager's alertname of each alert type: the label on-call routes and silences match. */
    static final String FAILURE_ALERTNAME = "MailflowConnectorFailure";
    static final String BACKLOG_ALERTNAME = "MailflowQueueBacklog";

    private final ConnectorCatalog catalog;
    private final DetectionConfig config;

    ConnectorAlerts(final ConnectorCatalog catalog, final DetectionConfig config) {
        this.catalog = catalog;
        this.config = config;
    }

    ConnectorAlert failure(final FailureEpisode e, final AlertState state, final long eventTime, final QueueTotals queue) {
        final ConnectorInfo connector = catalog.lookup(e.getConnectorId());
        final FailureCategory category = e.getCategory() == null ? FailureCategory.OTHER_TRANSIENT : e.getCategory();
        final Severity severity = severity(category, connector.kind());
        final Map<String, String> labels = new LinkedHashMap<>();
        labels.put("alertname", FAILURE_ALERTNAME);
        labels.put("connector", e.getConnectorId());
        labels.put("status_code", e.getStatusCode() == null ? "unknown" : e.getStatusCode());
        labels.put("category", category.name());
        labels.put("severity", label(severity));
        return ConnectorAlert.newBuilder()
            .setAlertId(e.getAlertId())
            .setType(AlertType.CONNECTOR_FAILURE)
            .setState(state)
            .setConnectorId(e.getConnectorId())
            .setStatusCode(e.getStatusCode())
            .setSmtpReply(e.getSmtpReply())
            .setCategory(category)
            .setSeverity(state == AlertState.RESOLVED ? Severity.INFO : severity)
            .setEventTime(Instant.ofEpochMilli(eventTime))
            .setFirstFailureTime(Instant.ofEpochMilli(e.getFirstFailureTime()))
            .setLastFailureTime(Instant.ofEpochMilli(e.getLastFailureTime()))
            .setFailureCount(e.getFailureCount())
            .setAffectedMessages(e.getAffectedMessages())
            .setQueuedRecipients(queue.queuedRecipients())
            .setOldestQueuedTime(queue.oldestQueuedTime() == null ? null : Instant.ofEpochMilli(queue.oldestQueuedTime()))
            .setDestinations(new ArrayList<>(e.getDestinations()))
            .setLastError(e.getLastError())
            .setRemediation(Remediation.of(category, connector))
            .setSummary(failureSummary(e, state, category, connector, queue, eventTime))
            .setStartsAt(Instant.ofEpochMilli(e.getFirstFailureTime()))
            .setEndsAt(state == AlertState.RESOLVED ? Instant.ofEpochMilli(eventTime) : null)
            .setLabels(labels)
            .build();
    }

    /** A QUEUE_BACKLOG alert of the episode that fired at {@code firedAt}. */
    ConnectorAlert backlog(final String connectorId, final String alertId, final long firedAt, final AlertState state,
                           final long eventTime, final QueueTotals queue) {
        final ConnectorInfo connector = catalog.lookup(connectorId);
        final FailureCategory category = queue.lastStatusCode() == null && queue.lastError() == null ? null
            : categoryOfLastError(queue);
        final StringBuilder summary = new StringBuilder(200).append(connector.name()).append(": ");
        final long minutes = config.backlogAge().toMinutes();
        if (state == AlertState.RESOLVED) {
            // below the threshold is not an empty queue: say how many still wait, and in all
            summary.append("backlog below the threshold: ").append(queue.queuedOverAge()).append(" recipients queued longer than ")
                .append(minutes).append(" min (threshold ").append(config.backlogThreshold()).append(", ")
                .append(queue.queuedRecipients()).append(" queued in all).");
        } else {
            summary.append("messages have been delayed: ").append(queue.queuedOverAge())
                .append(" recipients queued longer than ").append(minutes).append(" min (")
                .append(queue.queuedRecipients()).append(" queued in all");
            if (queue.oldestQueuedTime() != null) {
                summary.append(", oldest waiting ").append(Math.max(0, (eventTime - queue.oldestQueuedTime()) / 60_000)).append(" min");
            }
            summary.append(')');
            if (queue.lastError() != null) {
                summary.append(", last error ").append(firstLine(queue.lastError()));
            }
            appendDestinations(summary, queue.destinations());
            summary.append('.');
            appendWho(summary, connector);
        }
        final String remediation = category == null
            ? "Recipients are piling up in the queue of this connector. Look at the last error and the destination servers; "
                + "queued messages are retried until they expire and return to their senders." + who(connector)
            : Remediation.of(category, connector);
        return ConnectorAlert.newBuilder()
            .setAlertId(alertId)
            .setType(AlertType.QUEUE_BACKLOG)
            .setState(state)
            .setConnectorId(connectorId)
            .setStatusCode(queue.lastStatusCode())
            .setCategory(category)
            .setSeverity(state == AlertState.RESOLVED ? Severity.INFO : Severity.HIGH)
            .setEventTime(Instant.ofEpochMilli(eventTime))
            .setFailureCount(0)
            .setAffectedMessages(0)
            .setQueuedRecipients(queue.queuedOverAge())
            .setOldestQueuedTime(queue.oldestQueuedTime() == null ? null : Instant.ofEpochMilli(queue.oldestQueuedTime()))
            .setDestinations(new ArrayList<>(queue.destinations()))
            .setLastError(queue.lastError())
            .setRemediation(remediation)
            .setSummary(summary.toString())
            .setStartsAt(Instant.ofEpochMilli(firedAt))
            .setEndsAt(state == AlertState.RESOLVED ? Instant.ofEpochMilli(eventTime) : null)
            .setLabels(backlogLabels(connectorId))
            .build();
    }

    /**
     * The last error's code and category change while a backlog lasts, so they are not labels: a
     * changed label would be another alert to Alertmanager. Insertion order, so the Avro bytes of
     * the map are the same in every run (Map.of iterates in a per-JVM order).
     */
    private static Map<String, String> backlogLabels(final String connectorId) {
        final Map<String, String> labels = new LinkedHashMap<>();
        labels.put("alertname", BACKLOG_ALERTNAME);
        labels.put("connector", connectorId);
        labels.put("severity", label(Severity.HIGH));
        return labels;
    }

    /** A severity as a label value: the symbol in lower case, as Prometheus rules write theirs. */
    static String label(final Severity severity) {
        return severity.name().toLowerCase(Locale.ROOT);
    }

    /** The six mail flow intelligence failures on your own or a partner's servers page someone; the rest can wait for office hours. */
    static Severity severity(final FailureCategory category, final ConnectorKind kind) {
        final boolean specific = category != FailureCategory.OTHER_TRANSIENT && category != FailureCategory.PERMANENT;
        if (specific && (kind == ConnectorKind.ON_PREMISES_SMART_HOST || kind == ConnectorKind.PARTNER_ORGANIZATION
            || kind == ConnectorKind.UNKNOWN)) {
            return Severity.HIGH;
        }
        return Severity.MEDIUM;
    }

    private String failureSummary(final FailureEpisode e, final AlertState state, final FailureCategory category,
                                  final ConnectorInfo connector, final QueueTotals queue, final long eventTime) {
        final StringBuilder s = new StringBuilder(240).append(connector.name()).append(": ");
        if (e.getStatusCode() != null) {
            s.append(e.getStatusCode()).append(' ');
        }
        s.append(Remediation.describe(category));
        final long minutes = (e.getLastFailureTime() - e.getFirstFailureTime()) / 60_000;
        if (state == AlertState.RESOLVED) {
            s.append(" resolved: no such failure for ").append(config.quietPeriod().toMinutes())
                .append(" min after ").append(minutes).append(" min and ").append(e.getFailureCount()).append(" failures.");
            return s.toString();
        }
        s.append(" for ").append(minutes).append(" min, ").append(e.getFailureCount()).append(" failures on ")
            .append(e.getAffectedMessages()).append(" messages, ").append(queue.queuedRecipients()).append(" recipients queued");
        appendDestinations(s, e.getDestinations());
        s.append('.');
        appendWho(s, connector);
        return s.toString();
    }

    private static void appendDestinations(final StringBuilder s, final List<String> destinations) {
        if (!destinations.isEmpty()) {
            s.append(", destination ").append(destinations.get(0));
            if (destinations.size() > 1) {
                s.append(" (+").append(destinations.size() - 1).append(" more)");
            }
        }
    }

    private static void appendWho(final StringBuilder s, final ConnectorInfo connector) {
        final String who = Remediation.whoToContact(connector);
        if (who != null) {
            s.append(' ').append(who);
        }
    }

    private static String who(final ConnectorInfo connector) {
        final String who = Remediation.whoToContact(connector);
        return who == null ? "" : " " + who;
    }

    private static FailureCategory categoryOfLastError(final QueueTotals queue) {
        final String code = queue.lastStatusCode();
        final io.mailflow.avro.FailureCategory byCode = code == null ? null : ConnectorAlerts.specific(code);
        if (byCode != null) {
            return byCode;
        }
        final FailureCategory byText = ResponseText.parse(queue.lastError()).category();
        return byText != null ? byText : code != null && code.startsWith("5") ? FailureCategory.PERMANENT : FailureCategory.OTHER_TRANSIENT;
    }

    private static FailureCategory specific(final String code) {
        final FailureCategory c = FailureClassifier.categoryOf(code);
        return c == FailureCategory.OTHER_TRANSIENT || c == FailureCategory.PERMANENT ? null : c;
    }

    private static String firstLine(final String text) {
        final int nl = text.indexOf('\n');
        final String line = nl < 0 ? text : text.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
