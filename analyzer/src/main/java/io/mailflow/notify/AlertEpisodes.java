package io.mailflow.notify;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The latest state of every alert episode the bridge has to tell Alertmanager about, keyed by
 * alertId: the active ones (re-posted every resend interval for as long as they last) and the
 * resolved ones not yet delivered (posted once, then forgotten). Memory is bounded by the
 * episodes open at once, not by the topic's length.
 */
public final class AlertEpisodes {
    /** One episode: its identifying labels (from the first record read), its latest record, whether that was delivered. */
    private static final class Episode {
        final Map<String, String> labels;
        ConnectorAlert latest;
        boolean delivered;

        Episode(final Map<String, String> labels) {
            this.labels = labels;
        }
    }

    private final Map<String, Episode> episodes = new LinkedHashMap<>();

    /**
     * Takes the next record of the topic. {@code delivered}: a bridge of the same group already
     * posted it (its offset is below the group's committed one), so a RESOLVED one is done with.
     */
    public void apply(final ConnectorAlert alert, final boolean delivered) {
        Episode episode = episodes.get(alert.getAlertId());
        if (episode == null) {
            if (alert.getState() == AlertState.RESOLVED && delivered) {
                return; // ended and told: nothing left to do
            }
            episode = new Episode(AlertmanagerMapping.labels(alert));
            episodes.put(alert.getAlertId(), episode);
        }
        episode.latest = alert;
        episode.delivered = delivered;
        if (alert.getState() == AlertState.RESOLVED && delivered) {
            episodes.remove(alert.getAlertId());
        }
    }

    /**
     * Forgets resolved episodes never delivered that ended before {@code cutoff}: on a first start
     * without committed offsets, Alertmanager has either never heard of them or let them expire.
     */
    public void forgetResolvedBefore(final Instant cutoff) {
        episodes.values().removeIf(e -> e.latest.getState() == AlertState.RESOLVED && !e.delivered
            && AlertmanagerMapping.endsAt(e.latest, cutoff).isBefore(cutoff));
    }

    /** Whether a record has arrived that Alertmanager has not been told. */
    public boolean hasUndelivered() {
        return episodes.values().stream().anyMatch(e -> !e.delivered);
    }

    /** Episodes firing (FIRING or UPDATED). */
    public int active() {
        return (int) episodes.values().stream().filter(e -> e.latest.getState() != AlertState.RESOLVED).count();
    }

    /**
     * What to post now: the undelivered resolutions first (a resolved episode and the next one of
     * the same connector and code share their labels, so the resolution must come first), then
     * every active episode, active until {@code activeUntil}.
     */
    public List<AlertmanagerAlert> toPost(final AlertLinks links, final Instant activeUntil) {
        final List<AlertmanagerAlert> resolved = new ArrayList<>();
        final List<AlertmanagerAlert> active = new ArrayList<>();
        for (final Episode e : episodes.values()) {
            final AlertmanagerAlert alert = AlertmanagerMapping.toAlertmanager(e.latest, e.labels, links, activeUntil);
            if (e.latest.getState() == AlertState.RESOLVED) {
                resolved.add(alert);
            } else {
                active.add(alert);
            }
        }
        resolved.addAll(active);
        return resolved;
    }

    /** After a successful post of {@link #toPost}: everything is delivered, the resolved episodes are done. */
    public void delivered() {
        episodes.values().removeIf(e -> e.latest.getState() == AlertState.RESOLVED);
        episodes.values().forEach(e -> e.delivered = true);
    }
}
