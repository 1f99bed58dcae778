package io.mailflow.notify;

import java.time.Instant;
import java.util.Map;

/**
 * One alert as Alertmanager's API v2 takes it ({@code postableAlert} in its OpenAPI spec): labels
 * identify it (Alertmanager's fingerprint is their hash), annotations describe it, and it is active
 * until {@code endsAt}. A resolved alert is the same labels with an {@code endsAt} in the past.
 *
 * @param labels identifying, low-cardinality labels: alertname, connector, severity, ...
 * @param annotations descriptive text: summary, description, runbook_url, ...
 * @param startsAt start of the episode
 * @param endsAt when Alertmanager considers it resolved: the resolve time, or a time in the future while active
 * @param generatorUrl link back to where the alert can be looked at (the dashboard), or null
 */
public record AlertmanagerAlert(Map<String, String> labels, Map<String, String> annotations, Instant startsAt, Instant endsAt,
                                String generatorUrl) {
    public AlertmanagerAlert {
        labels = Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
    }
}
