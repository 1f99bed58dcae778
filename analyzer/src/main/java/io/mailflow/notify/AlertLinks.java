package io.mailflow.notify;

import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The runbook and dashboard links of an alert, from URL templates with placeholders:
 * {@code {code}} (the status code, {@code backlog} for QUEUE_BACKLOG), {@code {connector}},
 * {@code {category}}, {@code {alertname}}, {@code {type}} and {@code {alert_id}}, each URL-encoded.
 * So {@code https://wiki/mailflow/{code}} gives one runbook page per status code, and a Grafana
 * link can carry the connector as a variable.
 */
public final class AlertLinks {
    private final String runbookTemplate;
    private final String dashboardTemplate;

    /** Either template may be null or blank: no such link. */
    public AlertLinks(final String runbookTemplate, final String dashboardTemplate) {
        this.runbookTemplate = blankToNull(runbookTemplate);
        this.dashboardTemplate = blankToNull(dashboardTemplate);
    }

    public static AlertLinks none() {
        return new AlertLinks(null, null);
    }

    /** The runbook link of {@code alert}, or null. */
    public String runbook(final ConnectorAlert alert, final String alertname) {
        return expand(runbookTemplate, alert, alertname);
    }

    /** The dashboard link of {@code alert}, or null. */
    public String dashboard(final ConnectorAlert alert, final String alertname) {
        return expand(dashboardTemplate, alert, alertname);
    }

    static String expand(final String template, final ConnectorAlert alert, final String alertname) {
        if (template == null) {
            return null;
        }
        final String code = alert.getType() == AlertType.QUEUE_BACKLOG ? "backlog"
            : alert.getStatusCode() == null ? "unknown" : alert.getStatusCode();
        return template
            .replace("{code}", encode(code))
            .replace("{connector}", encode(alert.getConnectorId()))
            .replace("{category}", encode(alert.getCategory() == null ? "unknown" : alert.getCategory().name()))
            .replace("{alertname}", encode(alertname))
            .replace("{type}", encode(alert.getType().name().toLowerCase(Locale.ROOT)))
            .replace("{alert_id}", encode(alert.getAlertId()));
    }

    private static String encode(final String value) {
        // %20 rather than '+': the placeholders sit in paths as often as in queries
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String blankToNull(final String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
