package io.mailflow.detect;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorQueue;
import io.mailflow.avro.internal.FailureEpisode;
import io.mailflow.config.DetectionConfig;

/**
 * The alerts that are firing now, rebuilt from the connector monitor's state (failure-episodes,
 * backlog-queue) for the query API: the same builder and the same figures the monitor uses when
 * it writes an alert, so a reader sees what the alerts topic would say at the episode's latest
 * notification. Read-only: nothing here touches the stores.
 */
public final class ActiveAlerts {
    private final ConnectorAlerts alerts;
    private final int maxDestinations;

    public ActiveAlerts(final DetectionConfig config, final ConnectorCatalog catalog) {
        this.alerts = new ConnectorAlerts(catalog, config);
        this.maxDestinations = config.maxDestinations();
    }

    /** The CONNECTOR_FAILURE alert of a firing episode (state FIRING, event time its latest notification); null when not firing. */
    public ConnectorAlert failure(final FailureEpisode episode, final ConnectorQueue queue) {
        if (episode == null || !episode.getFiring() || episode.getAlertId() == null) {
            return null;
        }
        return alerts.failure(episode, AlertState.FIRING, episode.getLastNotifiedTime(), QueueTotals.of(queue, maxDestinations));
    }

    /** The QUEUE_BACKLOG alert of a connector whose backlog alert is firing; null otherwise. */
    public ConnectorAlert backlog(final ConnectorQueue queue) {
        if (queue == null || queue.getBacklogAlertId() == null) {
            return null;
        }
        return alerts.backlog(queue.getConnectorId(), queue.getBacklogAlertId(), Backlog.firedAt(queue.getBacklogAlertId()), AlertState.FIRING, queue.getBacklogLastNotifiedTime(),
            QueueTotals.of(queue, maxDestinations));
    }
}
