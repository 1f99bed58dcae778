package io.mailflow.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class TrafficGeneratorTest {
    private static final Instant START = GeneratorSettings.DEFAULT_START;
    private static final long MINUTE = 60_000;

    /** Only the traffic under test: no sporadic or permanent failures unless a test asks for them. */
    private static GeneratorSettings.Builder quiet() {
        return GeneratorSettings.builder().seed(7).sporadicRate(0).permanentRate(0);
    }

    /** Every record of each message, in order, by network message id. */
    private static Map<String, List<MessageTrace>> byMessage(final List<MessageTrace> traces) {
        return traces.stream().collect(Collectors.groupingBy(MessageTrace::getNetworkMessageId, LinkedHashMap::new, Collectors.toList()));
    }

    /** Attempts on one recipient: every record after its RECEIVE. */
    private static Map<String, List<MessageTrace>> attemptsByRecipient(final List<MessageTrace> traces) {
        return traces.stream().filter(t -> t.getEventType() != EventType.RECEIVE)
            .collect(Collectors.groupingBy(t -> t.getNetworkMessageId() + "|" + t.getRecipient(), LinkedHashMap::new, Collectors.toList()));
    }

    private static byte[] jsonLines(final GeneratorSettings settings) throws Exception {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonLinesTraceWriter writer = new JsonLinesTraceWriter(out)) {
            new TrafficGenerator(settings).generate(writer);
        }
        return out.toByteArray();
    }

    @Test
    @DisplayName("the same seed gives byte-identical output; another seed gives other traffic")
    void sameSeedSameOutput() throws Exception {
        final GeneratorSettings settings = GeneratorSettings.builder().seed(42).duration(Duration.ofHours(2))
            .outage(Outage.parse("partner-contoso:4.4.316:1h@+30m")).build();
        final byte[] first = jsonLines(settings);
        final byte[] second = jsonLines(settings);
        assertTrue(first.length > 100_000, "a two-hour run writes a fair amount of traffic");
        assertArrayEquals(first, second);
        assertNotEquals(new String(first), new String(jsonLines(settings.toBuilder().seed(43).build())));
    }

    @Test
    @DisplayName("records come out in event-time order, across arrivals, retries and expiries")
    void eventTimeOrder() throws Exception {
        final List<MessageTrace> traces = CollectingSink.run(GeneratorSettings.builder().duration(Duration.ofHours(26))
            .connectors(ConnectorProfile.parseList("partner-contoso:2,mailbox:5")).sporadicRate(0.01)
            .outage(Outage.parse("partner-contoso:4.4.318:25h@+10m")).build());
        for (int i = 1; i < traces.size(); i++) {
            assertFalse(traces.get(i).getEventTime().isBefore(traces.get(i - 1).getEventTime()), "record " + i + " goes back in time");
        }
        assertTrue(traces.stream().anyMatch(t -> t.getEventType() == EventType.FAIL), "the run reaches expiry");
    }

    @Test
    @DisplayName("an outage of 4.4.316 on a connector defers its messages with 4.4.316 every 15 minutes, then they are sent")
    void outageDefersEveryRetryIntervalThenSends() throws Exception {
        final Outage outage = Outage.parse("partner-contoso:4.4.316:1h@+30m");
        final List<MessageTrace> traces = CollectingSink.run(quiet().duration(Duration.ofHours(3))
            .connectors(ConnectorProfile.parseList("partner-contoso:5,internet:5")).outage(outage).build());
        final long outageStart = START.toEpochMilli() + 30 * MINUTE;
        final long outageEnd = outageStart + 60 * MINUTE;

        final List<MessageTrace> deferrals = traces.stream().filter(t -> t.getEventType() == EventType.DEFER).toList();
        assertTrue(deferrals.size() > 200, "5 messages a minute for an hour, each retried: got " + deferrals.size());
        for (final MessageTrace d : deferrals) {
            assertEquals("partner-contoso", d.getConnectorId(), "only the failing connector defers");
            assertEquals("4.4.316", d.getStatusCode());
            assertEquals("450", d.getSmtpReply());
            assertTrue(d.getResponseText().startsWith("450 4.4.316 Connection refused [Message=Socket error code 10061]"
                + " [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP="), d.getResponseText());
            final long at = d.getEventTime().toEpochMilli();
            assertTrue(at >= outageStart && at < outageEnd, "deferral outside the outage at " + d.getEventTime());
        }

        int deferredThenSent = 0;
        for (final List<MessageTrace> attempts : attemptsByRecipient(traces).values()) {
            if (attempts.get(0).getEventType() != EventType.DEFER) {
                continue;
            }
            for (int i = 1; i < attempts.size(); i++) {
                assertEquals(15 * MINUTE, attempts.get(i).getEventTime().toEpochMilli() - attempts.get(i - 1).getEventTime().toEpochMilli(),
                    "retries are 15 minutes apart");
            }
            final MessageTrace last = attempts.get(attempts.size() - 1);
            if (last.getEventTime().toEpochMilli() < START.toEpochMilli() + 3 * 60 * MINUTE - 15 * MINUTE) {
                assertEquals(EventType.SEND, last.getEventType(), "a deferred recipient is sent once the outage is over");
                assertEquals("250", last.getSmtpReply());
                assertTrue(last.getEventTime().toEpochMilli() >= outageEnd);
                assertTrue(last.getEventTime().toEpochMilli() < outageEnd + 15 * MINUTE, "sent at the first retry after the outage");
                deferredThenSent++;
            }
        }
        assertTrue(deferredThenSent > 100, "most deferred recipients are sent after the outage: " + deferredThenSent);
    }

    @Test
    @DisplayName("an outage longer than a day ends in Exchange's own expiry: FAIL 550 4.4.7 QUEUE.Expired 24 hours after arrival")
    void outageLongerThanExpiryEndsInExchangeExpiry() throws Exception {
        final List<MessageTrace> traces = CollectingSink.run(quiet().duration(Duration.ofHours(27))
            .connectors(ConnectorProfile.parseList("partner-fabrikam:0.2")).outage(Outage.parse("partner-fabrikam:4.4.312:27h")).build());
        final Map<String, List<MessageTrace>> messages = byMessage(traces);
        int expired = 0;
        for (final List<MessageTrace> events : messages.values()) {
            final long received = events.get(0).getEventTime().toEpochMilli();
            if (received > START.toEpochMilli() + 3 * 60 * MINUTE) {
                continue; // still queued when the run ends
            }
            final List<MessageTrace> attempts = events.subList(1, events.size()).stream()
                .filter(t -> t.getRecipient().equals(events.get(0).getRecipient())).toList();
            final MessageTrace last = attempts.get(attempts.size() - 1);
            assertEquals(EventType.FAIL, last.getEventType());
            assertEquals("4.4.7", last.getStatusCode());
            assertEquals("550 4.4.7 QUEUE.Expired; message expired", last.getResponseText());
            assertEquals(received + 24 * 60 * MINUTE, last.getEventTime().toEpochMilli(), "expiry at exactly 24 hours");
            assertEquals(96, attempts.size() - 1, "a deferral every 15 minutes for 24 hours");
            assertTrue(attempts.subList(0, attempts.size() - 1).stream().allMatch(t -> "4.4.312".equals(t.getStatusCode())));
            expired++;
        }
        assertTrue(expired > 20, "messages of the first three hours all expire: " + expired);
    }

    @Test
    @DisplayName("Postfix expires a queued message with status=expired (EXPIRE), after the configured lifetime")
    void postfixExpiry() throws Exception {
        final List<MessageTrace> traces = CollectingSink.run(quiet().dialect(PostfixDialect.INSTANCE).duration(Duration.ofHours(5))
            .expiry(Duration.ofHours(2)).connectors(ConnectorProfile.parseList("partner-contoso:1"))
            .outage(Outage.parse("partner-contoso:4.4.315:5h")).build());
        final List<MessageTrace> expiries = traces.stream().filter(t -> t.getEventType() == EventType.EXPIRE).toList();
        assertFalse(expiries.isEmpty());
        assertTrue(expiries.stream().allMatch(t -> "expired, returned to sender".equals(t.getResponseText())));
        assertTrue(traces.stream().filter(t -> t.getEventType() == EventType.DEFER)
            .allMatch(t -> "4.4.1".equals(t.getStatusCode()) && t.getResponseText().endsWith(":25: Connection timed out")));
    }

    @Test
    @DisplayName("message rates and recipients per message follow the configuration (within 5 standard deviations)")
    void ratesRoughlyAsConfigured() throws Exception {
        final GenerationSummary summary;
        final CollectingSink sink = new CollectingSink();
        summary = new TrafficGenerator(quiet().duration(Duration.ofHours(10))
            .connectors(ConnectorProfile.parseList("internet:60,partner-contoso:6")).build()).generate(sink);
        final Map<String, Long> messagesByConnector = sink.traces.stream().filter(t -> t.getEventType() == EventType.SEND)
            .collect(Collectors.groupingBy(MessageTrace::getConnectorId, Collectors.mapping(MessageTrace::getNetworkMessageId,
                Collectors.collectingAndThen(Collectors.toSet(), s -> (long) s.size()))));
        // Poisson: 60/min for 600 min → mean 36,000, sd 190; 6/min → mean 3,600, sd 60
        assertEquals(36_000, messagesByConnector.get("internet"), 5 * 190);
        assertEquals(3_600, messagesByConnector.get("partner-contoso"), 5 * 60);
        // default weights 1=70,2=15,3=7,5=5,10=2,25=1 → mean 1.91 recipients per message
        final double mean = (double) summary.recipients() / summary.messages();
        assertEquals(1.91, mean, 0.1);
        assertEquals(summary.recipients(), summary.records(EventType.RECEIVE), "one RECEIVE per recipient");
    }

    @Test
    @DisplayName("sporadic failures are isolated: at most one per connector per 30 minutes, and the next retry gets through")
    void sporadicFailuresAreIsolated() throws Exception {
        final List<MessageTrace> traces = CollectingSink.run(quiet().sporadicRate(0.05).duration(Duration.ofHours(12))
            .connectors(ConnectorProfile.parseList("internet:30,partner-contoso:10")).build());
        final Map<String, List<MessageTrace>> deferralsByConnector = traces.stream().filter(t -> t.getEventType() == EventType.DEFER)
            .collect(Collectors.groupingBy(MessageTrace::getConnectorId));
        assertTrue(deferralsByConnector.values().stream().mapToInt(List::size).sum() >= 20, "some sporadic failures happen");
        for (final List<MessageTrace> deferrals : deferralsByConnector.values()) {
            final List<Instant> attemptTimes = deferrals.stream().map(MessageTrace::getEventTime).distinct().toList();
            for (int i = 1; i < attemptTimes.size(); i++) {
                assertTrue(Duration.between(attemptTimes.get(i - 1), attemptTimes.get(i)).toMinutes() >= 30,
                    "two sporadic failures on one connector within 30 minutes: " + attemptTimes.get(i - 1) + ", " + attemptTimes.get(i));
            }
        }
        for (final List<MessageTrace> attempts : attemptsByRecipient(traces).values()) {
            if (attempts.get(0).getEventType() == EventType.DEFER && attempts.size() > 1) {
                assertEquals(2, attempts.size(), "one deferral, then the outcome");
                assertEquals(EventType.SEND, attempts.get(1).getEventType());
            }
        }
    }

    @Test
    @DisplayName("permanent failures (5.1.1, 5.7.1) fail the recipient at once and are never retried")
    void permanentFailuresAreFinal() throws Exception {
        final List<MessageTrace> traces = CollectingSink.run(quiet().permanentRate(0.05).duration(Duration.ofHours(2))
            .connectors(ConnectorProfile.parseList("internet:20,mailbox:20")).build());
        final List<String> codes = new ArrayList<>();
        for (final List<MessageTrace> attempts : attemptsByRecipient(traces).values()) {
            if (attempts.get(0).getEventType() == EventType.FAIL) {
                assertEquals(1, attempts.size(), "nothing follows a permanent failure");
                assertEquals("550", attempts.get(0).getSmtpReply());
                codes.add(attempts.get(0).getStatusCode());
            }
        }
        assertTrue(codes.contains("5.1.1") && codes.contains("5.7.1"), "both kinds occur: " + codes.size());
        // about 5 % of the recipients; 4,800 messages × 1.91 recipients → ~460
        assertEquals(0.05, (double) codes.size() / traces.stream().filter(t -> t.getEventType() == EventType.RECEIVE).count(), 0.015);
    }

    @Test
    @DisplayName("an outage is written connector:code:duration@+start")
    void outageSpec() {
        final Outage outage = Outage.parse("partner-contoso:4.4.316:2h@+1h");
        assertEquals("partner-contoso", outage.connector());
        assertEquals(TransientFailure.CONNECTION_REFUSED, outage.failure());
        assertEquals(Duration.ofHours(2), outage.duration());
        assertEquals(Duration.ofHours(1), outage.start());
        assertTrue(outage.activeAt(Duration.ofHours(1).toMillis()));
        assertFalse(outage.activeAt(Duration.ofHours(3).toMillis()));
        assertEquals(Duration.ZERO, Outage.parse("internet:4.7.320:30m").start());
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Outage.parse("partner-contoso:4.9.999:1h"));
        assertTrue(bad.getMessage().contains("4.4.316"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GeneratorSettings.builder().outage(Outage.parse("nosuch:4.4.316:1h")).build());
    }
}
