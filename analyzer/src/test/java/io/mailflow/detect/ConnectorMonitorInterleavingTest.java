package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import static io.mailflow.detect.TestTraces.minutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.internal.ConnectorFailure;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.mailflow.avro.internal.ConnectorSignal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The connector monitor's output is a function of the input alone. The same timeline (two
 * connectors failing in overlapping episodes, a growing and draining queue) is carried once by
 * one source partition, and once split over three partitions whose records reach the monitor in
 * many interleavings: random, one partition hours behind the others, one that falls silent for
 * real and says so. Every run must give exactly the alerts of the one-partition run.
 */
@DisplayName("Connector monitor: the same alerts for one partition and for three in any interleaving")
class ConnectorMonitorInterleavingTest {
    private static final String SCOPE = "detect-interleaving";
    private static final String CONTOSO = "Outbound to Contoso";
    private static final String FABRIKAM = "Outbound to Fabrikam";
    private static final int SOURCES = 3;

    /** One thing a traces task sends on connector-signals, in its own order. */
    private record Item(String key, ConnectorSignal signal) {
    }

    @AfterAll
    static void dropRegistry() {
        ConnectorMonitorHarness.dropRegistry(SCOPE);
    }

    @Test
    @DisplayName("random interleavings of three partitions give the one-partition alerts")
    void randomInterleavings() {
        final List<ConnectorAlert> expected = run(1, onePartition(), new Random(0), false);
        assertTrue(expected.stream().anyMatch(a -> a.getState() == AlertState.RESOLVED), "the scenario resolves episodes: " + expected);
        assertTrue(expected.stream().anyMatch(a -> a.getType() == io.mailflow.avro.AlertType.QUEUE_BACKLOG), "and fires a backlog");
        for (int seed = 1; seed <= 40; seed++) {
            assertEquals(expected, run(SOURCES, threePartitions(), new Random(seed), false), "interleaving seed " + seed);
        }
    }

    @Test
    @DisplayName("a partition hours behind the others (delivered after them) gives the one-partition alerts")
    void aPartitionHoursBehind() {
        final List<ConnectorAlert> expected = run(1, onePartition(), new Random(0), false);
        final List<List<Item>> parts = threePartitions();
        final List<Item> inOrder = new ArrayList<>();
        inOrder.addAll(parts.get(0));
        inOrder.addAll(parts.get(2));
        inOrder.addAll(parts.get(1)); // partition 1 comes last, hours of event time behind
        assertEquals(expected, feed(SOURCES, List.of(inOrder), new Random(0)));
    }

    @Test
    @DisplayName("a partition that falls silent for real and reports itself idle does not change the alerts")
    void aPartitionThatFallsSilent() {
        final List<ConnectorAlert> expected = run(1, onePartition(), new Random(0), false);
        for (int seed = 1; seed <= 10; seed++) {
            assertEquals(expected, run(SOURCES + 1, threePartitions(), new Random(seed), true), "seed " + seed);
        }
    }

    @Test
    @DisplayName("a monitor that commits and starts again at random moments gives the one-partition alerts")
    void restartsAtRandomMoments() {
        final List<ConnectorAlert> expected = run(1, onePartition(), new Random(0), false);
        for (int seed = 1; seed <= 10; seed++) {
            final Random random = new Random(seed);
            final List<Item> interleaved = interleave(threePartitions(), random, true);
            final DetectionConfig config = DetectionConfig.from(MailflowConfig.builder().defaults()
                .override("mailflow.detect.source-partitions", Integer.toString(SOURCES + 1)).build());
            final ConnectorMonitorHarness monitor = new ConnectorMonitorHarness(config, SCOPE);
            int restarts = 0;
            for (final Item item : interleaved) {
                monitor.process(item.key(), item.signal());
                if (random.nextInt(40) == 0) {
                    monitor.commitAndRestart(); // judged items must not come back, pending ones must
                    restarts++;
                }
            }
            monitor.close();
            assertTrue(restarts > 5, "restarts in seed " + seed + ": " + restarts);
            assertEquals(expected, monitor.alerts(), "seed " + seed);
        }
    }

    /**
     * Partition 1 reports idle, partition 0 runs on to minute 30, then partition 1 reports again at
     * minute 5: the monitor already judged up to 29, so partition 1's failure at minute 10 is late
     * and counted at once. After a restart the watermark recomputed from connector-progress alone
     * is 5; the monitor must still go on from 29, or the failure waits in pending behind the
     * committed bound and the next restart drops it (4 failures: no alert).
     */
    @Test
    @DisplayName("restarts after an idle partition reported again give the alerts of a run without them")
    void restartsAfterAnIdlePartitionReportsAgain() {
        final List<Item> feed = new ArrayList<>();
        final ConnectorFailure idle = TransientFailureRouter.heartbeat(1, 0);
        idle.setIdle(true);
        feed.add(new Item("", ConnectorSignals.failure(idle)));
        for (int m = 0; m <= 30; m++) {
            if (m == 0 || m == 5 || m == 16 || m == 17) {
                feed.add(failure(CONTOSO, "4.4.316", m, "<p0-" + m + "@x>"));
            }
            feed.add(heartbeat(0, m));
        }
        feed.add(heartbeat(1, 5)); // partition 1 reports again, behind the judged bound
        final int firstRestart = feed.size();
        feed.add(failure(CONTOSO, "4.4.316", 10, "<p1-10@x>"));
        feed.add(heartbeat(1, 6));
        final int secondRestart = feed.size();
        for (int m = 7; m <= 40; m++) {
            feed.add(heartbeat(1, m));
            feed.add(heartbeat(0, Math.max(m, 31)));
        }
        final DetectionConfig config = DetectionConfig.from(MailflowConfig.builder().defaults()
            .override("mailflow.detect.source-partitions", "2").build());

        final ConnectorMonitorHarness straight = new ConnectorMonitorHarness(config, SCOPE);
        feed.forEach(item -> straight.process(item.key(), item.signal()));
        straight.close();
        final List<ConnectorAlert> expected = straight.alerts();
        assertTrue(expected.stream().anyMatch(a -> a.getState() == AlertState.FIRING),
            "the late failure is the fifth over 17 minutes: it fires the episode " + expected);

        final ConnectorMonitorHarness restarted = new ConnectorMonitorHarness(config, SCOPE);
        for (int i = 0; i < feed.size(); i++) {
            if (i == firstRestart || i == secondRestart) {
                restarted.commitAndRestart();
            }
            restarted.process(feed.get(i).key(), feed.get(i).signal());
        }
        restarted.close();
        assertEquals(expected, restarted.alerts());
    }

    @Test
    @DisplayName("a failure 50 s late within its partition, overtaken by a later one, still fires at its own time (inside the grace)")
    void aFailureLateWithinTheGraceKeepsItsPlace() {
        final DetectionConfig config = DetectionConfig.from(MailflowConfig.builder().defaults()
            .override("mailflow.detect.source-partitions", "1").build());
        final ConnectorMonitorHarness monitor = new ConnectorMonitorHarness(config, SCOPE);
        for (int m = 0; m <= 12; m += 4) {
            monitor.process(CONTOSO + "|4.4.316", failureAt(m * 60, "<m" + m + "@x>"));
            for (int h = m + 1; h <= m + 4 && h <= 15; h++) {
                monitor.process("", heartbeat(0, h).signal());
            }
        }
        monitor.process(CONTOSO + "|4.4.316", failureAt(15 * 60 + 40, "<b@x>")); // B at 15:40
        monitor.process("", heartbeat(0, 16).signal());
        monitor.process(CONTOSO + "|4.4.316", failureAt(15 * 60 + 10, "<a@x>")); // A at 15:10, after the 16:00 heartbeat
        for (int h = 17; h <= 20; h++) {
            monitor.process("", heartbeat(0, h).signal());
        }
        final List<ConnectorAlert> firing = monitor.alerts().stream().filter(a -> a.getState() == AlertState.FIRING).toList();
        assertEquals(1, firing.size());
        assertEquals(minutes(15).plusSeconds(10), firing.get(0).getEventTime(),
            "A completes 15 minutes and 5 failures: the alert is A's, as in the input in order");
        assertEquals(5, firing.get(0).getFailureCount());
    }

    private static ConnectorSignal failureAt(final int seconds, final String message) {
        return ConnectorSignals.failure(ConnectorFailure.newBuilder().setConnectorId(CONTOSO).setStatusCode("4.4.316")
            .setSmtpReply("450").setEventTime(minutes(0).plusSeconds(seconds).toEpochMilli()).setMessageKey(message)
            .setResponseText("450 4.4.316 failed").build());
    }

    // ---- the scenario -----------------------------------------------------------------------

    /**
     * Failures: Contoso 4.4.316 every minute from 10 to 60 (each partition carries every third
     * message), Fabrikam 4.4.315 every 2 minutes from 40 to 70. Queue: Contoso's queued-over-age
     * grows by 12 a minute per partition from 70 to 100, then drains; snapshots on a 5-minute grid.
     * Heartbeats every minute up to 180.
     */
    private static List<List<Item>> threePartitions() {
        final List<List<Item>> parts = new ArrayList<>();
        for (int p = 0; p < SOURCES; p++) {
            final List<Item> items = new ArrayList<>();
            for (int m = 0; m <= 180; m++) {
                if (m >= 10 && m <= 60 && m % SOURCES == p) {
                    items.add(failure(CONTOSO, "4.4.316", m, "<c" + m + "@x>"));
                }
                if (m >= 40 && m <= 70 && m % 2 == 0 && (m / 2) % SOURCES == p) {
                    items.add(failure(FABRIKAM, "4.4.315", m, "<f" + m + "@x>"));
                }
                if (m % 5 == 0 && m >= 70 && m <= 130) {
                    items.add(snapshot(p, overAge(m), m));
                }
                items.add(heartbeat(p, m));
            }
            parts.add(items);
        }
        return parts;
    }

    /** The same timeline as one partition: the same failures, the partitions' snapshots summed. */
    private static List<List<Item>> onePartition() {
        final List<Item> items = new ArrayList<>();
        for (int m = 0; m <= 180; m++) {
            if (m >= 10 && m <= 60) {
                items.add(failure(CONTOSO, "4.4.316", m, "<c" + m + "@x>"));
            }
            if (m >= 40 && m <= 70 && m % 2 == 0) {
                items.add(failure(FABRIKAM, "4.4.315", m, "<f" + m + "@x>"));
            }
            if (m % 5 == 0 && m >= 70 && m <= 130) {
                final ConnectorQueueSnapshot sum = snapshot(0, SOURCES * overAge(m), m).signal().getQueueSnapshot();
                sum.setQueuedRecipients(SOURCES * (overAge(m) + 10));
                items.add(new Item(CONTOSO, ConnectorSignals.queue(sum)));
            }
            items.add(heartbeat(0, m));
        }
        return List.of(items);
    }

    private static long overAge(final int minute) {
        return minute <= 100 ? 12L * (minute - 70) : Math.max(0, 12L * (130 - minute));
    }

    private static Item failure(final String connector, final String code, final int minute, final String message) {
        final ConnectorFailure f = ConnectorFailure.newBuilder().setConnectorId(connector).setStatusCode(code).setSmtpReply("450")
            .setEventTime(minutes(minute).toEpochMilli()).setMessageKey(message).setDestinationHost("mail." + connector.length() + ".example")
            .setResponseText("450 " + code + " failed").build();
        return new Item(connector + "|" + code, ConnectorSignals.failure(f));
    }

    private static Item snapshot(final int partition, final long overAge, final int minute) {
        final Instant at = minutes(minute);
        final ConnectorQueueSnapshot s = ConnectorQueueSnapshot.newBuilder().setConnectorId(CONTOSO).setSourcePartition(partition)
            .setQueuedRecipients(overAge + 10).setQueuedOverAge(overAge).setOldestQueuedTime(minutes(0))
            .setLastError("450 4.4.316 failed").setLastErrorTime(minutes(60).toEpochMilli()).setLastStatusCode("4.4.316")
            .setDestinations(List.of("mail.contoso.example")).setDestinationTimes(List.of(minutes(60).toEpochMilli())).setAsOf(at).build();
        return new Item(CONTOSO, ConnectorSignals.queue(s));
    }

    private static Item heartbeat(final int partition, final int minute) {
        return new Item("", ConnectorSignals.failure(TransientFailureRouter.heartbeat(partition, minutes(minute).toEpochMilli())));
    }

    // ---- running it ---------------------------------------------------------------------------

    /**
     * Feeds the partitions' items in a random interleaving that keeps each partition's own order.
     * With {@code silentExtra}, one more partition exists that never sends anything but reports
     * itself idle at a random moment (a partition that is caught up and quiet).
     */
    private List<ConnectorAlert> run(final int sources, final List<List<Item>> parts, final Random random, final boolean silentExtra) {
        return feed(sources, List.of(interleave(parts, random, silentExtra)), random);
    }

    private static List<Item> interleave(final List<List<Item>> parts, final Random random, final boolean silentExtra) {
        final List<List<Item>> all = new ArrayList<>(parts);
        if (silentExtra) {
            final ConnectorFailure idle = TransientFailureRouter.heartbeat(SOURCES, 0);
            idle.setIdle(true);
            all.add(List.of(new Item("", ConnectorSignals.failure(idle))));
        }
        final List<Item> interleaved = new ArrayList<>();
        final int[] next = new int[all.size()];
        int left = all.stream().mapToInt(List::size).sum();
        while (left > 0) {
            final int p = random.nextInt(all.size());
            if (next[p] < all.get(p).size()) {
                interleaved.add(all.get(p).get(next[p]++));
                left--;
            }
        }
        return interleaved;
    }

    private List<ConnectorAlert> feed(final int sources, final List<List<Item>> streams, final Random random) {
        final DetectionConfig config = DetectionConfig.from(MailflowConfig.builder().defaults()
            .override("mailflow.detect.source-partitions", Integer.toString(sources)).build());
        final ConnectorMonitorHarness monitor = new ConnectorMonitorHarness(config, SCOPE);
        for (final List<Item> stream : streams) {
            for (final Item item : stream) {
                monitor.process(item.key(), item.signal());
            }
        }
        monitor.close();
        return monitor.alerts();
    }
}
