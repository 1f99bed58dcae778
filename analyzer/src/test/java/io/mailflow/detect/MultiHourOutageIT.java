package io.mailflow.detect;

import io.mailflow.config.DetectionConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.app.EmbeddedRuntime;
import io.mailflow.config.MailflowConfig;
import io.mailflow.avro.AlertState;
import io.mailflow.avro.AlertType;
import io.mailflow.avro.ConnectorAlert;
import io.mailflow.avro.ConnectorStats;
import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.EventType;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NdrReason;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.emit.Topic;
import io.mailflow.generate.ConnectorProfile;
import io.mailflow.generate.GenerationSummary;
import io.mailflow.generate.GeneratorSettings;
import io.mailflow.generate.KafkaTraceOutput;
import io.mailflow.generate.Outage;
import io.mailflow.generate.TraceOutput;
import io.mailflow.generate.TraceTopics;
import io.mailflow.generate.TrafficGenerator;
import io.mailflow.generate.TransientFailure;
import io.mailflow.config.QueueConfig;
import io.mailflow.serde.MockSchemaRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Six hours of an organisation's mail, made by the project's own generator, through the whole
 * analyzer on a real broker with three trace partitions: what an on-call operator would see of a
 * 90-minute "connection refused" outage at a partner, among healthy connectors that now and then
 * meet a single transient failure and some recipients that are rejected for good.
 *
 * <p>Every expectation is derived from the generator settings and the detection rules (read from
 * the running config), or counted from the records the generator produced; none is copied from
 * the analyzer's output.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("A six-hour replay with a 90-minute partner outage, on a real broker with three partitions")
class MultiHourOutageIT {
    private static final String SCOPE = "multi-hour-outage-it";
    private static final String PARTNER = "partner-contoso";
    private static final String REFUSED = TransientFailure.CONNECTION_REFUSED.exchangeCode();

    /** 4.4.316 connection refused at the partner from 09:00 to 10:30 (run starts 08:00). */
    private static final Outage OUTAGE = new Outage(PARTNER, TransientFailure.CONNECTION_REFUSED,
        Duration.ofHours(1), Duration.ofMinutes(90));

    /**
     * The partner carries 10 messages a minute, ~1.9 recipients each (the default mix): by the end of
     * the outage the recipients that arrived in its first 30 minutes (~570) have waited over an hour,
     * well past the backlog threshold of 200. Sporadic failures are frequent (2 % of attempts) but,
     * as in the generator's default, isolated: at most one per connector per 45 minutes, longer than
     * the 30-minute quiet period, so two of them never join into one episode.
     */
    private static final GeneratorSettings TRAFFIC = GeneratorSettings.builder()
        .seed(20260302)
        .duration(Duration.ofHours(6))
        .connectors(ConnectorProfile.parseList("internet:12," + PARTNER + ":10,partner-fabrikam:3,mailbox:15"))
        .outage(OUTAGE)
        .retryInterval(Duration.ofMinutes(15))
        .sporadicRate(0.02)
        .sporadicGap(Duration.ofMinutes(45))
        .permanentRate(0.004)
        .build();

    private final Instant outageStart = TRAFFIC.start().plus(OUTAGE.start());
    private final Instant outageEnd = outageStart.plus(OUTAGE.duration());

    private Produced produced;
    private GenerationSummary summary;
    private DetectionConfig rules;
    private QueueConfig queueRules;
    private List<ConnectorAlert> alerts;
    private List<ConnectorAlert> alertsInTopicOrder;
    private List<ConnectorStats> stats;
    private List<NonDeliveryReport> ndrs;
    private List<DelayNotice> delays;
    private List<DeadLetter> deadLetters;

    @BeforeAll
    void replaySixHoursThroughTheAnalyzer() throws Exception {
        final MailflowConfig base = MailflowConfig.builder().defaults()
            .override("schema.registry.url", "mock://" + SCOPE)
            .override("application.id", "multi-hour-it-" + System.nanoTime())
            .override("mailflow.topic.partitions", "3")
            .override("mailflow.topic.replication-factor", "1")
            // judged on event time only, as `replay` does: the replay takes seconds, not six hours
            .override("mailflow.queue.wall-clock-safety-net", "false")
            // how long a silent input partition holds the connector-keyed stages back (default 60 s, embedded 5 s)
            .override("mailflow.detect.partition-idle", "10s")
            .build();
        final long began = System.nanoTime();
        try (EmbeddedRuntime runtime = EmbeddedRuntime.start(base)) {
            rules = DetectionConfig.from(runtime.config());
            queueRules = QueueConfig.from(runtime.config());
            final long running = System.nanoTime();
            final KafkaTraceOutput kafka = new KafkaTraceOutput(TraceTopics.producer(runtime.config()),
                runtime.topics().traces.name());
            try (Produced output = new Produced(kafka)) {
                produced = output;
                summary = new TrafficGenerator(TRAFFIC).generate(output);
            }
            assertEquals(summary.records(), kafka.acknowledged(), "the broker took every generated record");
            final long generatedAt = System.nanoTime();
            runtime.awaitComplete(Duration.ofSeconds(3), Duration.ofSeconds(120));
            final long completeAt = System.nanoTime();
            alertsInTopicOrder = List.copyOf(values(runtime, runtime.topics().alerts));
            alerts = new ArrayList<>(alertsInTopicOrder);
            alerts.sort(Comparator.comparing(ConnectorAlert::getEventTime).thenComparing(ConnectorAlert::getState));
            stats = values(runtime, runtime.topics().connectorStats);
            ndrs = values(runtime, runtime.topics().ndr);
            delays = values(runtime, runtime.topics().delays);
            deadLetters = values(runtime, runtime.topics().deadLetters);
            System.out.printf("MultiHourOutageIT: %,d records (%s), broker+analyzer up in %.1f s, generated+produced in %.1f s, "
                    + "analyzer complete %.1f s later%n",
                summary.records(), summary.recordsByType(), (running - began) / 1e9, (generatedAt - running) / 1e9,
                (completeAt - generatedAt) / 1e9);
            System.out.printf("MultiHourOutageIT: %d outage deferrals %s..%s, %d sporadic, %d permanent; alerts %s; "
                    + "%d stats records, %d NDRs, %d delay notices, %d dead letters%n",
                produced.outageDeferrals, produced.firstOutageDeferral, produced.lastOutageDeferral,
                summary.sporadicFailures(), summary.permanentFailures(), alertCounts(), stats.size(), ndrs.size(),
                delays.size(), deadLetters.size());
            System.out.printf("MultiHourOutageIT: partner alerts in topic order: %s%n", describe(alertsInTopicOrder.stream()
                .filter(a -> PARTNER.equals(a.getConnectorId())).toList()));
        } finally {
            MockSchemaRegistry.dropScope(SCOPE);
        }
    }

    @Test
    @DisplayName("the scenario is what it claims: an outage, sporadic and permanent failures, all of it on the topic")
    void theScenarioHasWhatTheTestNeeds() {
        assertEquals(summary.deferralsByOutage().get(OUTAGE), produced.outageDeferrals,
            "the deferrals counted on the way to Kafka are the ones the generator injected");
        assertTrue(produced.outageDeferrals >= rules.minFailures(), "the outage produced deferrals");
        assertTrue(summary.sporadicFailures() > 0, "healthy connectors met sporadic failures");
        assertTrue(summary.permanentFailures() > 0, "some recipients were rejected permanently");
        assertEquals(summary.permanentFailures(), produced.permanentFailures);
        assertEquals(0, summary.expiredRecipients(), "a 6-hour run cannot reach the 24-hour expiry");
        assertTrue(deadLetters.isEmpty(), () -> "every generated record is valid: " + deadLetters);
    }

    @Nested
    @DisplayName("CONNECTOR_FAILURE")
    class FailureAlerts {

        @Test
        @DisplayName("the outage fires exactly once and resolves exactly once, under one alertId")
        void theOutageFiresOnceAndResolvesOnce() {
            final List<ConnectorAlert> episode = failureAlerts(PARTNER, REFUSED);
            final List<AlertState> states = episode.stream().map(ConnectorAlert::getState).toList();
            assertEquals(1, states.stream().filter(s -> s == AlertState.FIRING).count(), () -> "states: " + states);
            assertEquals(1, states.stream().filter(s -> s == AlertState.RESOLVED).count(), () -> "states: " + states);
            assertEquals(AlertState.FIRING, states.get(0), () -> "states: " + states);
            assertEquals(AlertState.RESOLVED, states.get(states.size() - 1), () -> "states: " + states);
            assertEquals(1, episode.stream().map(ConnectorAlert::getAlertId).distinct().count(),
                () -> "alertIds: " + episode.stream().map(ConnectorAlert::getAlertId).distinct().toList());
            assertTrue(episode.stream().allMatch(a -> a.getCategory() == FailureCategory.CONNECTION_REFUSED),
                "4.4.316 is a refused connection");
        }

        @Test
        @DisplayName("it fires once the failures have lasted the fire-after time, and while the outage is still on")
        void firesAfterFireAfterWithinTheOutage() {
            final ConnectorAlert firing = only(failureAlerts(PARTNER, REFUSED), AlertState.FIRING);
            final Instant earliest = produced.firstOutageDeferral.plus(rules.fireAfter());
            assertFalse(earliest.isBefore(outageStart.plus(rules.fireAfter())));
            assertFalse(firing.getEventTime().isBefore(earliest),
                () -> "fired at " + firing.getEventTime() + ", before first failure + fire-after " + earliest);
            assertTrue(firing.getEventTime().isBefore(outageEnd), () -> "fired at " + firing.getEventTime() + ", after the outage");
            assertTrue(firing.getFailureCount() >= rules.minFailures());
        }

        @Test
        @DisplayName("while firing it updates at most every update interval")
        void updatesAtMostEveryUpdateInterval() {
            final List<ConnectorAlert> episode = failureAlerts(PARTNER, REFUSED);
            final List<ConnectorAlert> notices = episode.stream().filter(a -> a.getState() != AlertState.RESOLVED).toList();
            for (int i = 1; i < notices.size(); i++) {
                final Duration gap = Duration.between(notices.get(i - 1).getEventTime(), notices.get(i).getEventTime());
                assertTrue(gap.compareTo(rules.updateInterval()) >= 0, "updates " + gap + " apart: " + notices);
            }
            // failures keep coming for over an hour after the FIRING: the operator hears how it goes on
            assertTrue(notices.size() > 1, () -> "no UPDATED during the outage: " + episode);
        }

        @Test
        @DisplayName("it resolves a full quiet period after the last failure, having counted every failure once")
        void resolvesAQuietPeriodAfterTheLastFailure() {
            final ConnectorAlert resolved = only(failureAlerts(PARTNER, REFUSED), AlertState.RESOLVED);
            assertEquals(produced.lastOutageDeferral.plus(rules.quietPeriod()), resolved.getEventTime(),
                "last 4.4.316 at " + produced.lastOutageDeferral + " + quiet period " + rules.quietPeriod());
            assertEquals(produced.outageDeferrals, resolved.getFailureCount(), "every deferral of every partition counted once");
            assertEquals(produced.firstOutageDeferral, resolved.getFirstFailureTime());
            assertEquals(produced.lastOutageDeferral, resolved.getLastFailureTime());
            assertEquals(produced.outageMessages.size(), resolved.getAffectedMessages(), "distinct messages the outage deferred");
        }

        @Test
        @DisplayName("the healthy connectors never alert: their sporadic single failures do not make an episode")
        void healthyConnectorsNeverAlert() {
            final Map<String, List<AlertState>> others = alerts.stream()
                .filter(a -> a.getType() == AlertType.CONNECTOR_FAILURE)
                .filter(a -> !(PARTNER.equals(a.getConnectorId()) && REFUSED.equals(a.getStatusCode())))
                .collect(Collectors.groupingBy(a -> a.getConnectorId() + " " + a.getStatusCode(),
                    Collectors.mapping(ConnectorAlert::getState, Collectors.toList())));
            assertTrue(others.isEmpty(), () -> "alerts besides the outage: " + others);
        }
    }

    @Nested
    @DisplayName("QUEUE_BACKLOG")
    class BacklogAlerts {

        @Test
        @DisplayName("the partner's queue fires once an hour into the outage and resolves once after it, under one alertId")
        void thePartnersBacklogFiresOnceAndResolvesOnce() {
            final List<ConnectorAlert> backlog = backlogAlerts(PARTNER);
            final List<AlertState> states = backlog.stream().map(ConnectorAlert::getState).toList();
            System.out.println("MultiHourOutageIT: the partner's backlog alerts: " + describe(backlog));
            assertEquals(1, states.stream().filter(s -> s == AlertState.FIRING).count(), () -> "alerts: " + describe(backlog));
            assertEquals(1, states.stream().filter(s -> s == AlertState.RESOLVED).count(), () -> "alerts: " + describe(backlog));
            assertEquals(1, backlog.stream().map(ConnectorAlert::getAlertId).distinct().count());

            // when the partner's queue truly crossed the threshold, and fell back below it, reckoned from
            // the records produced: recipients queued since their arrival, over age a backlog age later,
            // gone at their delivery or rejection
            final Backlog truth = produced.backlog(queueRules.backlogAge(), rules.backlogThreshold());
            System.out.println("MultiHourOutageIT: the partner's true backlog: " + truth);
            assertTrue(truth.over().isAfter(produced.earliestOutageArrival.plus(queueRules.backlogAge()).minusMillis(1)));
            assertTrue(truth.over().isBefore(outageEnd), "the scenario's backlog builds up during the outage: " + truth);
            assertTrue(truth.under().isAfter(outageEnd), "... and drains after it: " + truth);
            // each source partition reports its queue every punctuation interval of event time (at the
            // first record past each grid point, a second or so later with this traffic): the alert may
            // trail the true crossing by that much, never lead it while the queue only grows
            // and backlog-age crossings, like every deadline, are judged a grace (mailflow.queue.grace) late
            final Duration lag = queueRules.punctuationInterval().plus(queueRules.grace()).plusSeconds(5);
            final ConnectorAlert firing = only(backlog, AlertState.FIRING);
            assertFalse(firing.getEventTime().isBefore(truth.over()), () -> "fired at " + firing.getEventTime() + ", before " + truth);
            assertFalse(firing.getEventTime().isAfter(truth.over().plus(lag)),
                () -> "fired at " + firing.getEventTime() + ", long after " + truth + ": " + describe(backlog));
            assertTrue(firing.getQueuedRecipients() >= rules.backlogThreshold(), () -> "fired with " + firing.getQueuedRecipients());

            // draining, a partition's report may also be up to an interval older than another's
            final ConnectorAlert resolved = only(backlog, AlertState.RESOLVED);
            assertFalse(resolved.getEventTime().isBefore(truth.under().minus(lag)),
                () -> "resolved at " + resolved.getEventTime() + ", long before " + truth + ": " + describe(backlog));
            assertFalse(resolved.getEventTime().isAfter(truth.under().plus(lag)),
                () -> "resolved at " + resolved.getEventTime() + ", long after " + truth + ": " + describe(backlog));
            assertTrue(resolved.getQueuedRecipients() < rules.backlogThreshold());
        }

        @Test
        @DisplayName("no other connector ever has a backlog: a sporadic failure waits one retry interval, not an hour")
        void noOtherConnectorHasABacklog() {
            final List<String> others = alerts.stream().filter(a -> a.getType() == AlertType.QUEUE_BACKLOG)
                .map(ConnectorAlert::getConnectorId).filter(c -> !PARTNER.equals(c)).distinct().toList();
            assertTrue(others.isEmpty(), () -> "backlog alerts on " + others);
        }
    }

    @Test
    @DisplayName("on the alerts topic, every alert's states come in event-time order, FIRING first and RESOLVED last")
    void everyAlertReadsInEventTimeOrder() {
        final Map<String, List<ConnectorAlert>> byAlert = alertsInTopicOrder.stream()
            .collect(Collectors.groupingBy(ConnectorAlert::getAlertId, TreeMap::new, Collectors.toList()));
        assertFalse(byAlert.isEmpty());
        byAlert.forEach((id, lifecycle) -> {
            assertEquals(AlertState.FIRING, lifecycle.get(0).getState(), () -> describe(lifecycle).toString());
            for (int i = 1; i < lifecycle.size(); i++) {
                final ConnectorAlert before = lifecycle.get(i - 1);
                final ConnectorAlert after = lifecycle.get(i);
                assertFalse(after.getEventTime().isBefore(before.getEventTime()), () -> "back in time: " + describe(lifecycle));
                assertFalse(before.getState() == AlertState.RESOLVED, () -> "after RESOLVED: " + describe(lifecycle));
            }
        });
    }

    @Nested
    @DisplayName("connector-stats")
    class StatsWindows {

        @Test
        @DisplayName("every (connector, status code, window) is emitted once")
        void everyWindowOnce() {
            final Map<String, Long> perWindow = stats.stream().collect(Collectors.groupingBy(
                s -> s.getConnectorId() + "|" + s.getStatusCode() + "|" + s.getWindowStart(), Collectors.counting()));
            final Map<String, Long> twice = new TreeMap<>(perWindow);
            twice.values().removeIf(n -> n == 1);
            assertTrue(twice.isEmpty(), () -> "windows emitted more than once: " + twice);
            assertTrue(stats.stream().allMatch(s -> Duration.between(s.getWindowStart(), s.getWindowEnd()).equals(rules.window())));
        }

        @Test
        @DisplayName("the partner's 4.4.316 windows add up to every deferral the outage produced, all within the outage")
        void outageWindowsAddUp() {
            final List<ConnectorStats> refused = stats.stream()
                .filter(s -> PARTNER.equals(s.getConnectorId()) && REFUSED.equals(s.getStatusCode())).toList();
            assertEquals(produced.outageDeferrals, refused.stream().mapToLong(ConnectorStats::getFailures).sum(),
                () -> "per window: " + refused.stream().map(s -> s.getWindowStart() + "=" + s.getFailures()).toList());
            assertTrue(refused.stream().allMatch(s -> s.getDeliveries() == 0), "a refused attempt is no delivery");
            for (final ConnectorStats s : refused) {
                assertFalse(s.getWindowEnd().isBefore(outageStart), () -> "window before the outage: " + s);
                assertFalse(s.getWindowStart().isAfter(outageEnd), () -> "window after the outage: " + s);
            }
            assertTrue(stats.stream().noneMatch(s -> REFUSED.equals(s.getStatusCode()) && !PARTNER.equals(s.getConnectorId())),
                "only the partner refused connections");
        }
    }

    @Nested
    @DisplayName("NDRs and delay notices")
    class NdrsAndDelayNotices {

        @Test
        @DisplayName("no expiry NDR and no delay notice: nobody waited anywhere near 4 or 24 hours")
        void noExpiryAndNoDelayNotice() {
            // the longest anyone waits is the outage plus one retry interval
            final Duration longestWait = OUTAGE.duration().plus(TRAFFIC.retryInterval()).plusSeconds(3);
            assertTrue(longestWait.compareTo(queueRules.delayNoticeAfter()) < 0);
            assertTrue(longestWait.compareTo(queueRules.expireAfter()) < 0);
            assertTrue(ndrs.stream().noneMatch(n -> n.getReason() == NdrReason.EXPIRED), "an EXPIRED NDR after a 90-minute outage");
            assertTrue(delays.isEmpty(), () -> delays.size() + " delay notices after a 90-minute outage");
        }

        @Test
        @DisplayName("one PERMANENT_FAILURE NDR for every permanently rejected recipient")
        void oneNdrPerPermanentFailure() {
            final List<NonDeliveryReport> permanent = ndrs.stream().filter(n -> n.getReason() == NdrReason.PERMANENT_FAILURE).toList();
            assertEquals(produced.permanentFailures, permanent.size());
            assertEquals(produced.permanentFailures, permanent.stream()
                .map(n -> n.getMessageId() + "|" + n.getFinalRecipient()).distinct().count(), "one per recipient");
            assertTrue(permanent.stream().allMatch(n -> n.getStatus().startsWith("5.")), "a permanent failure is a 5.x.x");
        }
    }

    private List<ConnectorAlert> failureAlerts(final String connector, final String code) {
        return alerts.stream().filter(a -> a.getType() == AlertType.CONNECTOR_FAILURE && connector.equals(a.getConnectorId())
            && code.equals(a.getStatusCode())).toList();
    }

    private List<ConnectorAlert> backlogAlerts(final String connector) {
        return alerts.stream().filter(a -> a.getType() == AlertType.QUEUE_BACKLOG && connector.equals(a.getConnectorId())).toList();
    }

    private static ConnectorAlert only(final List<ConnectorAlert> alerts, final AlertState state) {
        final List<ConnectorAlert> found = alerts.stream().filter(a -> a.getState() == state).toList();
        assertEquals(1, found.size(), () -> state + ": " + found);
        return found.get(0);
    }

    private static List<String> describe(final List<ConnectorAlert> alerts) {
        return alerts.stream().map(a -> a.getType() + " " + a.getState() + "@" + a.getEventTime() + " queued=" + a.getQueuedRecipients()
            + " id=" + a.getAlertId()).toList();
    }

    private Map<String, Long> alertCounts() {
        return alerts.stream().collect(Collectors.groupingBy(a -> a.getType() + "/" + a.getConnectorId() + "/" + a.getStatusCode()
            + "/" + a.getState(), TreeMap::new, Collectors.counting()));
    }

    private static <V extends SpecificRecord> List<V> values(final EmbeddedRuntime runtime, final Topic<String, V> topic) {
        return runtime.read(topic).stream().map(ConsumerRecord::value).collect(Collectors.toCollection(ArrayList::new));
    }

    /** Passes the generated records to Kafka and counts, on the way, what the expectations are derived from. */
    private final class Produced implements TraceOutput {
        private final TraceOutput target;
        private final Map<String, Instant> arrivals = new HashMap<>();
        private final Set<String> outageMessages = new HashSet<>();
        private long outageDeferrals;
        private Instant firstOutageDeferral;
        private Instant lastOutageDeferral;
        private Instant earliestOutageArrival;
        private long permanentFailures;
        /** Partner recipients that were ever deferred: queued since their message's arrival, until they left (or null). */
        private final Map<String, Instant[]> partnerQueue = new HashMap<>();

        Produced(final TraceOutput target) {
            this.target = target;
        }

        @Override
        public void accept(final MessageTrace trace) throws IOException {
            final String message = trace.getNetworkMessageId();
            if (trace.getEventType() == EventType.RECEIVE) {
                arrivals.putIfAbsent(message, trace.getEventTime());
            } else if (trace.getEventType() == EventType.DEFER && PARTNER.equals(trace.getConnectorId())
                && REFUSED.equals(trace.getStatusCode())) {
                outageDeferrals++;
                outageMessages.add(message);
                if (firstOutageDeferral == null) {
                    firstOutageDeferral = trace.getEventTime(); // records come in event-time order
                }
                lastOutageDeferral = trace.getEventTime();
                final Instant arrived = arrivals.get(message);
                if (arrived != null && (earliestOutageArrival == null || arrived.isBefore(earliestOutageArrival))) {
                    earliestOutageArrival = arrived;
                }
            } else if (trace.getEventType() == EventType.FAIL) {
                permanentFailures++;
            }
            if (PARTNER.equals(trace.getConnectorId()) && trace.getEventType() != EventType.RECEIVE) {
                final String recipient = message + "|" + trace.getRecipient();
                if (trace.getEventType() == EventType.DEFER) {
                    partnerQueue.computeIfAbsent(recipient, r -> new Instant[] {arrivals.getOrDefault(message, trace.getEventTime()), null});
                } else if (partnerQueue.containsKey(recipient)) {
                    partnerQueue.get(recipient)[1] = trace.getEventTime();
                }
            }
            target.accept(trace);
        }

        /**
         * When the partner's recipients queued longer than {@code age} first reached {@code threshold},
         * and when they next fell below it: a recipient counts from its queued-since + age until it left.
         */
        Backlog backlog(final Duration age, final long threshold) {
            final TreeMap<Instant, Long> changes = new TreeMap<>();
            for (final Instant[] r : partnerQueue.values()) {
                final Instant over = r[0].plus(age);
                if (r[1] == null || r[1].isAfter(over)) {
                    changes.merge(over, 1L, Long::sum);
                    if (r[1] != null) {
                        changes.merge(r[1], -1L, Long::sum);
                    }
                }
            }
            long count = 0;
            Instant over = null;
            for (final Map.Entry<Instant, Long> change : changes.entrySet()) {
                count += change.getValue();
                if (over == null && count >= threshold) {
                    over = change.getKey();
                } else if (over != null && count < threshold) {
                    return new Backlog(over, change.getKey());
                }
            }
            throw new AssertionError("the partner's queue never crossed " + threshold + " and came back (at " + over + ")");
        }

        @Override
        public void close() throws IOException {
            target.close();
        }
    }

    /** When a queue truly went over the backlog threshold and when it truly fell below it again. */
    private record Backlog(Instant over, Instant under) {
    }
}
