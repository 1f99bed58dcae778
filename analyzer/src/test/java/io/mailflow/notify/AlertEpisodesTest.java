package io.mailflow.notify;

import static io.mailflow.notify.AlertmanagerMappingTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The bridge's episodes: latest state by alertId, what to post, what is done")
class AlertEpisodesTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final Instant UNTIL = Instant.parse("2026-12-02T12:04:00Z");

    @Test
    @DisplayName("FIRING then UPDATED: one alert, the latest record's annotations")
    void latestStateWins() {
        final AlertEpisodes episodes = new AlertEpisodes();
        episodes.apply(failure(AlertState.FIRING, T0.plusSeconds(900)), false);
        final ConnectorAlert updated = failure(AlertState.UPDATED, T0.plusSeconds(1200));
        updated.setFailureCount(9);
        episodes.apply(updated, false);
        final List<AlertmanagerAlert> post = episodes.toPost(AlertLinks.none(), UNTIL);
        assertEquals(1, post.size());
        assertEquals("9", post.get(0).annotations().get("failure_count"));
        assertEquals(UNTIL, post.get(0).endsAt());
        assertEquals(1, episodes.active());
    }

    @Test
    @DisplayName("a resolution is posted once, before the active alerts, and then forgotten")
    void resolutionPostedOnceAndFirst() {
        final AlertEpisodes episodes = new AlertEpisodes();
        episodes.apply(failure(AlertState.FIRING, T0.plusSeconds(900)), false);
        episodes.apply(failure(AlertState.RESOLVED, T0.plusSeconds(2700)), false);
        // the next episode of the same connector and code: the same labels
        final ConnectorAlert next = ConnectorAlert.newBuilder(failure(AlertState.FIRING, T0.plusSeconds(4000)))
            .setAlertId("Outbound to Contoso|4.4.316|next").setStartsAt(T0.plusSeconds(3100)).build();
        episodes.apply(next, false);
        assertTrue(episodes.hasUndelivered());
        final List<AlertmanagerAlert> post = episodes.toPost(AlertLinks.none(), UNTIL);
        assertEquals(2, post.size());
        assertEquals(T0.plusSeconds(2700), post.get(0).endsAt(), "the resolution first: Alertmanager applies them in order");
        assertEquals(T0.plusSeconds(3100), post.get(1).startsAt());
        episodes.delivered();
        assertFalse(episodes.hasUndelivered());
        assertEquals(1, episodes.toPost(AlertLinks.none(), UNTIL).size(), "only the active episode is posted again");
    }

    @Test
    @DisplayName("a resolution already delivered (below the committed offset) is not posted again after a restart")
    void deliveredResolutionIsDone() {
        final AlertEpisodes episodes = new AlertEpisodes();
        episodes.apply(failure(AlertState.FIRING, T0.plusSeconds(900)), true);
        episodes.apply(failure(AlertState.RESOLVED, T0.plusSeconds(2700)), true);
        assertEquals(List.of(), episodes.toPost(AlertLinks.none(), UNTIL));
        assertFalse(episodes.hasUndelivered());
    }

    @Test
    @DisplayName("a resolution read but not delivered before a restart is posted")
    void undeliveredResolutionIsPosted() {
        final AlertEpisodes episodes = new AlertEpisodes();
        episodes.apply(failure(AlertState.FIRING, T0.plusSeconds(900)), true);
        episodes.apply(failure(AlertState.RESOLVED, T0.plusSeconds(2700)), false);
        final List<AlertmanagerAlert> post = episodes.toPost(AlertLinks.none(), UNTIL);
        assertEquals(1, post.size());
        assertEquals(T0.plusSeconds(2700), post.get(0).endsAt());
        assertEquals("high", post.get(0).labels().get("severity"), "the labels of the firing record, not INFO of the resolved one");
    }

    @Test
    @DisplayName("first start: old resolutions are forgotten, recent ones and active episodes are posted")
    void firstStartForgetsOldResolutions() {
        final AlertEpisodes episodes = new AlertEpisodes();
        episodes.apply(failure(AlertState.FIRING, T0.plusSeconds(900)), false);
        episodes.apply(failure(AlertState.RESOLVED, T0.plusSeconds(2700)), false);
        episodes.forgetResolvedBefore(T0.plusSeconds(3000));
        assertEquals(List.of(), episodes.toPost(AlertLinks.none(), UNTIL));
        episodes.apply(failure(AlertState.FIRING, T0.plusSeconds(900)), false);
        episodes.apply(failure(AlertState.RESOLVED, T0.plusSeconds(2700)), false);
        episodes.forgetResolvedBefore(T0.plusSeconds(2000));
        assertEquals(1, episodes.toPost(AlertLinks.none(), UNTIL).size());
    }
}
