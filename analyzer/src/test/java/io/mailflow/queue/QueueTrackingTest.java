package io.mailflow.queue;

import io.mailflow.config.QueueConfig;
import static io.mailflow.queue.QueueTrackingFixture.at;
import static io.mailflow.queue.QueueTrackingFixture.defer;
import static io.mailflow.queue.QueueTrackingFixture.delivered;
import static io.mailflow.queue.QueueTrackingFixture.failed;
import static io.mailflow.queue.QueueTrackingFixture.receive;
import static io.mailflow.queue.QueueTrackingFixture.trace;
import static java.time.Duration.ofHours;
import static java.time.Duration.ofMillis;
import static java.time.Duration.ofMinutes;
import static java.time.Duration.ofSeconds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.DelayNotice;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.NdrReason;
import io.mailflow.avro.NonDeliveryReport;
import io.mailflow.avro.internal.ConnectorQueueSnapshot;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@DisplayName("Queue tracking follows every queued recipient to delivery, a delay notice, or an NDR")
class QueueTrackingTest {
    private static final String MSG = "<q1@fabrikam.example>";
    private static final String BOB = "bob@contoso.example";
    private static final String CAROL = "carol@contoso.example";

    @Nested
    @DisplayName("expiry (24 h by default)")
    class Expiry {
        @Test
        @DisplayName("a recipient delivered at 23 h 59 m gets no NDR")
        void deliveredJustBeforeExpiryGetsNoNdr() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)), defer(MSG, BOB, ofMinutes(1)), defer(MSG, BOB, ofHours(12)),
                    delivered(MSG, BOB, ofHours(23).plusMinutes(59)));
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(List.of(), f.readNdrs());
            }
        }

        @Test
        @DisplayName("a recipient still queued at 24 h gets exactly one NDR carrying the RFC 3464 essentials")
        void stillQueuedAtExpiryGetsOneCompleteNdr() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)), defer(MSG, BOB, ofMinutes(5)));
                f.pipe(trace(EventType.DEFER, MSG, BOB, ofHours(2)).setSmtpReply("451").setStatusCode("4.4.315")
                    .setResponseText("451 4.4.315 Connection timed out").setSourceServer("EXHUB02")
                    .setRemoteHost("mx2.contoso.example").build());
                f.advanceStreamTimeTo(ofHours(24).minus(ofMillis(1)));
                assertEquals(List.of(), f.readNdrs(), "not expired one millisecond before the deadline");

                f.advanceStreamTimeTo(ofHours(24));
                final List<TestRecord<String, NonDeliveryReport>> out = f.ndrs.readRecordsToList();
                assertEquals(1, out.size());
                final TestRecord<String, NonDeliveryReport> record = out.get(0);
                final NonDeliveryReport ndr = record.value();
                assertEquals("nmid-q1fabrikam.example", record.key(), "keyed by message like the traces");
                assertEquals(at(ofHours(24)), record.getRecordTime(), "record time is the deadline");
                assertEquals(NdrReason.EXPIRED, ndr.getReason());
                assertEquals("failed", ndr.getAction());
                assertEquals("4.4.7", ndr.getStatus());
                assertEquals("smtp; 550 4.4.7 QUEUE.Expired; message expired -> 451 4.4.315 Connection timed out", ndr.getDiagnosticCode());
                assertEquals("EXHUB02", ndr.getReportingMta(), "the server that logged the last event");
                assertEquals("mx2.contoso.example", ndr.getRemoteMta());
                assertEquals(at(ofHours(0)), ndr.getArrivalDate(), "RECEIVE time");
                assertEquals(at(ofMinutes(5)), ndr.getFirstDeferralTime());
                assertEquals(at(ofHours(2)), ndr.getLastAttemptDate());
                assertEquals(at(ofHours(24)), ndr.getExpiryTime(), "queued since RECEIVE, plus 24 h");
                assertEquals(at(ofHours(24)), ndr.getEventTime());
                assertEquals(2, ndr.getAttempts());
                assertEquals("alice@fabrikam.example", ndr.getOriginalSender());
                assertEquals(BOB, ndr.getFinalRecipient());
                assertEquals("Outbound to Contoso", ndr.getConnectorId());
                assertEquals(MSG, ndr.getMessageId());
                assertEquals("nmid-q1fabrikam.example", ndr.getNetworkMessageId());

                f.pipe(defer(MSG, BOB, ofHours(25)));
                f.advanceStreamTimeTo(ofHours(60));
                assertEquals(List.of(), f.readNdrs(), "never a second NDR");
            }
        }

        @Test
        @DisplayName("the earliest RECEIVE starts the clock, in whichever order a message's RECEIVEs (one per server) arrive")
        void theEarliestReceiveStartsTheClockWhateverTheOrder() {
            for (final boolean laterFirst : new boolean[] {false, true}) {
                try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                    final MessageTrace onTheEdge = receive(MSG, BOB, ofMinutes(10));
                    final MessageTrace onTheHub = receive(MSG, BOB, ofMinutes(40));
                    // another message's line between them, so the second is not the line right after the first
                    final MessageTrace between = receive("<other@test>", "carol@contoso.example", ofMinutes(20));
                    f.pipe(laterFirst ? onTheHub : onTheEdge, between, laterFirst ? onTheEdge : onTheHub);
                    f.pipe(defer(MSG, BOB, ofMinutes(45)));
                    f.advanceStreamTimeTo(ofHours(24).plusMinutes(10));
                    final NonDeliveryReport ndr = f.readNdrs().get(0);
                    assertEquals(at(ofMinutes(10)), ndr.getArrivalDate(), "later RECEIVE first: " + laterFirst);
                    assertEquals(at(ofHours(24).plusMinutes(10)), ndr.getExpiryTime(), "later RECEIVE first: " + laterFirst);
                }
            }
        }

        @Test
        @DisplayName("without a RECEIVE the clock starts at the first deferral, and the reporting MTA falls back to config")
        void clockStartsAtFirstDeferralWithoutReceive() {
            try (QueueTrackingFixture f = new QueueTrackingFixture("mailflow.reporting-mta", "mailflow.contoso.example")) {
                f.pipe(trace(EventType.DEFER, MSG, BOB, ofHours(3)).setSourceServer(null).setStatusCode("4.4.312")
                    .setSmtpReply("450").setResponseText("DNS query failed").build());
                f.advanceStreamTimeTo(ofHours(26).plusMinutes(59));
                assertEquals(List.of(), f.readNdrs());
                f.advanceStreamTimeTo(ofHours(27));
                final NonDeliveryReport ndr = f.readNdrs().get(0);
                assertEquals(at(ofHours(27)), ndr.getExpiryTime());
                assertNull(ndr.getArrivalDate());
                assertEquals("mailflow.contoso.example", ndr.getReportingMta());
                assertEquals("smtp; 550 4.4.7 QUEUE.Expired; message expired -> 450 4.4.312 DNS query failed", ndr.getDiagnosticCode(),
                    "reply and code are put in front of a bare response text");
            }
        }

        @Test
        @DisplayName("without a RECEIVE, an arrival the log line tells (Postfix delay=) starts the clock: expiry 24 h after it")
        void clockStartsAtTheArrivalTheLineTells() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                // first seen at 13 h, already 12 h 30 m in the queue (arrived at 0 h 30 m)
                f.pipe(trace(EventType.DEFER, MSG, BOB, ofHours(13)).setStatusCode("4.4.1").setSmtpReply(null)
                    .setResponseText("connect to mail.contoso.example[203.0.113.25]:25: Connection timed out")
                    .setArrivalTime(at(ofMinutes(30))).build());
                final List<DelayNotice> delays = f.readDelays();
                assertEquals(1, delays.size(), "4 h in the queue passed before the first line: the notice is due at once");
                assertEquals(at(ofHours(4).plusMinutes(30)), delays.get(0).getEventTime());
                assertEquals(at(ofMinutes(30)), delays.get(0).getArrivalDate());
                f.advanceStreamTimeTo(ofHours(24).plusMinutes(29));
                assertEquals(List.of(), f.readNdrs());
                f.advanceStreamTimeTo(ofHours(24).plusMinutes(30));
                final NonDeliveryReport ndr = f.readNdrs().get(0);
                assertEquals(at(ofHours(24).plusMinutes(30)), ndr.getExpiryTime(), "24 h after the arrival, not after the first deferral seen");
                assertEquals(at(ofMinutes(30)), ndr.getArrivalDate());
                assertEquals(at(ofHours(13)), ndr.getFirstDeferralTime());
            }
        }

        @Test
        @DisplayName("a later line telling an earlier arrival moves the clock back; one telling a later one does not move it")
        void anEarlierArrivalMovesTheClockBack() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(defer(MSG, BOB, ofHours(10)));
                f.pipe(trace(EventType.DEFER, MSG, BOB, ofHours(11)).setStatusCode("4.4.316")
                    .setArrivalTime(at(ofHours(2))).build());
                f.pipe(trace(EventType.DEFER, MSG, BOB, ofHours(12)).setStatusCode("4.4.316")
                    .setArrivalTime(at(ofHours(11).plusMinutes(59))).build());
                f.advanceStreamTimeTo(ofHours(25).plusMinutes(59));
                assertEquals(List.of(), f.readNdrs());
                f.advanceStreamTimeTo(ofHours(26));
                final NonDeliveryReport ndr = f.readNdrs().get(0);
                assertEquals(at(ofHours(26)), ndr.getExpiryTime());
                assertEquals(at(ofHours(2)), ndr.getArrivalDate());
            }
        }

        @Test
        @DisplayName("a permanent failure of a recipient never queued carries the earliest known arrival, never a later one")
        void permanentFailureCarriesTheToldArrival() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(trace(EventType.FAIL, MSG, BOB, ofHours(1)).setStatusCode("5.4.4").setSmtpReply(null)
                    .setResponseText("Host or domain name not found").setArrivalTime(at(ofMinutes(3))).build());
                assertEquals(at(ofMinutes(3)), f.readNdrs().get(0).getArrivalDate());
                // the RECEIVE came later than the told arrival: the earlier one counts
                f.pipe(receive("<m2@test>", BOB, ofHours(2)));
                f.pipe(trace(EventType.FAIL, "<m2@test>", BOB, ofHours(3)).setStatusCode("5.4.4").setSmtpReply(null)
                    .setResponseText("Host or domain name not found").setArrivalTime(at(ofMinutes(90))).build());
                assertEquals(at(ofMinutes(90)), f.readNdrs().get(0).getArrivalDate());
                // an arrival after the failure itself is no arrival (a JSON line can say anything)
                f.pipe(trace(EventType.FAIL, "<m3@test>", BOB, ofHours(4)).setStatusCode("5.4.4").setSmtpReply(null)
                    .setResponseText("Host or domain name not found").setArrivalTime(at(ofHours(5))).build());
                assertNull(f.readNdrs().get(0).getArrivalDate());
            }
        }

        @Test
        @DisplayName("of two recipients of one message, the delivered one gets no NDR and the other one expires")
        void multiRecipientMessage() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)), receive(MSG, CAROL, ofHours(0)),
                    defer(MSG, BOB, ofMinutes(1)), defer(MSG, CAROL, ofMinutes(1)),
                    delivered(MSG, "Bob@Contoso.example", ofHours(10)), defer(MSG, CAROL, ofHours(10)));
                f.advanceStreamTimeTo(ofHours(30));
                final List<NonDeliveryReport> ndrs = f.readNdrs();
                assertEquals(1, ndrs.size());
                assertEquals(CAROL, ndrs.get(0).getFinalRecipient());
                assertEquals(at(ofHours(24)), ndrs.get(0).getEventTime());
            }
        }

        @Test
        @DisplayName("a RECEIVE is remembered for arrival-retention (2 h): a first deferral within it expires 24 h after the RECEIVE, one after it 24 h after itself")
        void arrivalIsRememberedForTheArrivalRetention() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)), receive("<m2@test>", CAROL, ofHours(0)), defer(MSG, BOB, ofMinutes(115)));
                f.advanceStreamTimeTo(ofMinutes(150)); // a RECEIVE at 2 h 30 m: those at 0 h are now older than 2 h
                f.pipe(defer("<m2@test>", CAROL, ofMinutes(160)));
                f.advanceStreamTimeTo(ofHours(30));
                final Map<String, NonDeliveryReport> ndrs = f.readNdrs().stream()
                    .collect(Collectors.toMap(NonDeliveryReport::getFinalRecipient, n -> n));
                assertEquals(at(ofHours(24)), ndrs.get(BOB).getExpiryTime());
                assertEquals(at(ofHours(0)), ndrs.get(BOB).getArrivalDate());
                assertEquals(at(ofHours(24).plusMinutes(160)), ndrs.get(CAROL).getExpiryTime());
                assertNull(ndrs.get(CAROL).getArrivalDate(), "its RECEIVE was forgotten");
            }
        }

        @Test
        @DisplayName("a message's RECEIVE lines, one per recipient, keep the first as every recipient's arrival; another message's RECEIVE between them changes nothing")
        void firstOfAMessagesReceiveLinesIsTheArrival() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)), receive(MSG, CAROL, ofMinutes(1)), receive("<m2@test>", BOB, ofMinutes(2)),
                    receive(MSG, "dave@fabrikam.example", ofMinutes(3)),
                    defer(MSG, BOB, ofMinutes(10)), defer(MSG, CAROL, ofMinutes(11)), defer(MSG, "dave@fabrikam.example", ofMinutes(12)),
                    defer("<m2@test>", BOB, ofMinutes(13)));
                f.advanceStreamTimeTo(ofHours(30));
                final List<NonDeliveryReport> ndrs = f.readNdrs();
                assertEquals(4, ndrs.size(), ndrs::toString);
                for (final NonDeliveryReport ndr : ndrs) {
                    assertEquals(at(ndr.getMessageId().equals("<m2@test>") ? ofMinutes(2) : ofHours(0)), ndr.getArrivalDate(),
                        ndr.getMessageId() + " " + ndr.getFinalRecipient());
                }
            }
        }

        @Test
        @DisplayName("expire-after is configurable (Exchange Server: 2 days)")
        void exchangeServerExpiry() {
            try (QueueTrackingFixture f = new QueueTrackingFixture("mailflow.queue.expire-after", "2d")) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.advanceStreamTimeTo(ofHours(47));
                assertEquals(List.of(), f.readNdrs());
                f.advanceStreamTimeTo(ofHours(48));
                assertEquals(at(ofHours(48)), f.readNdrs().get(0).getExpiryTime());
            }
        }
    }

    @Nested
    @DisplayName("permanent failures")
    class PermanentFailures {
        @Test
        @DisplayName("a FAIL of a queued recipient yields one PERMANENT_FAILURE NDR and no expiry later")
        void failOfQueuedRecipient() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)), defer(MSG, BOB, ofMinutes(1)), failed(MSG, BOB, ofHours(1)));
                final List<TestRecord<String, NonDeliveryReport>> out = f.ndrs.readRecordsToList();
                assertEquals(1, out.size());
                final NonDeliveryReport ndr = out.get(0).value();
                assertEquals(NdrReason.PERMANENT_FAILURE, ndr.getReason());
                assertEquals("5.1.1", ndr.getStatus());
                assertEquals("smtp; 550 5.1.1 RESOLVER.ADR.RecipNotFound; not found", ndr.getDiagnosticCode());
                assertEquals("failed", ndr.getAction());
                assertEquals(at(ofHours(1)), ndr.getEventTime());
                assertEquals(at(ofHours(1)), out.get(0).getRecordTime());
                assertEquals(at(ofMinutes(1)), ndr.getFirstDeferralTime());
                assertEquals(at(ofHours(0)), ndr.getArrivalDate());
                assertEquals(2, ndr.getAttempts(), "the deferral and the failed attempt");
                assertNull(ndr.getExpiryTime());

                f.pipe(trace(EventType.FAIL, MSG, BOB, ofHours(1).plusSeconds(1)).setSourceServer("EXHUB02")
                        .setSmtpReply("550").setStatusCode("5.1.1").build(),
                    trace(EventType.DSN, MSG, BOB, ofHours(1).plusSeconds(2)).setStatusCode("5.1.1").setSmtpReply("550").build());
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(List.of(), f.readNdrs(), "neither the repeated FAIL, the DSN record nor expiry adds an NDR");
                assertEquals(List.of(), f.readDelays(), "no delay notice for a recipient that left the queue at 1 h");
            }
        }

        @Test
        @DisplayName("a 5.x.x SEND with no queueing before yields exactly one NDR")
        void rejectedSendWithoutQueueing() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)));
                f.pipe(trace(EventType.SEND, MSG, BOB, ofSeconds(3)).setSmtpReply("550").setStatusCode("5.7.1")
                    .setResponseText("550 5.7.1 Relaying denied").setRemoteHost("mx.contoso.example").build());
                f.pipe(failed(MSG, BOB, ofSeconds(4)));
                f.advanceStreamTimeTo(ofHours(30));
                final List<NonDeliveryReport> ndrs = f.readNdrs();
                assertEquals(1, ndrs.size(), "the FAIL after the rejected SEND is the same failure");
                final NonDeliveryReport ndr = ndrs.get(0);
                assertEquals(NdrReason.PERMANENT_FAILURE, ndr.getReason());
                assertEquals("5.7.1", ndr.getStatus());
                assertEquals("smtp; 550 5.7.1 Relaying denied", ndr.getDiagnosticCode());
                assertEquals("mx.contoso.example", ndr.getRemoteMta());
                assertEquals(at(ofHours(0)), ndr.getArrivalDate(), "from the remembered RECEIVE");
                assertNull(ndr.getFirstDeferralTime());
                assertEquals(1, ndr.getAttempts());
                assertEquals("EXHUB01", ndr.getReportingMta());
            }
        }
    }

    @Nested
    @DisplayName("gaps in event time")
    class TimeGaps {
        /** Everything the tracker sent: NDRs, delay notices, and every connector snapshot with its grid point. */
        private List<String> outputs(final Duration gap) {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)), defer(MSG, BOB, ofMinutes(1)), receive("<q2@fabrikam.example>", CAROL, ofHours(3)),
                    defer("<q2@fabrikam.example>", CAROL, ofHours(3).plusMinutes(1)), delivered("<q2@fabrikam.example>", CAROL, ofHours(5)));
                f.advanceStreamTimeTo(gap);
                final List<String> out = new ArrayList<>();
                f.ndrs.readRecordsToList().forEach(r -> out.add("ndr " + r.getRecordTime() + " " + r.value().getFinalRecipient()));
                f.delays.readRecordsToList().forEach(r -> out.add("delay " + r.getRecordTime() + " " + r.value().getFinalRecipient()));
                f.snapshots.readRecordsToList().forEach(r -> out.add("snapshot " + r.getRecordTime() + " " + r.value().getQueueSnapshot()));
                return out;
            }
        }

        @Test
        // visiting every 30 s grid point of 1,000 years took hours (a separate thread: that loop ignores interrupts)
        @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
        @DisplayName("a record 1,000 years after the last gives what a record a day later gives, at once")
        void aRecordCenturiesLaterJumpsTheEmptyGridPoints() {
            final List<String> dayLater = outputs(ofHours(48));
            assertTrue(dayLater.stream().anyMatch(o -> o.startsWith("ndr ")), "the expiry NDR: " + dayLater);
            assertTrue(dayLater.stream().anyMatch(o -> o.startsWith("delay ")), "the delay notice: " + dayLater);
            assertTrue(dayLater.stream().filter(o -> o.startsWith("snapshot ")).count() >= 3,
                "snapshots as the queue grows and drains: " + dayLater);
            assertEquals(dayLater, outputs(Duration.ofDays(365L * 1000)),
                "every deadline fires at its own time and every snapshot at its own grid point, whatever the gap");
        }
    }

    @Nested
    @DisplayName("delay notices (4 h by default)")
    class DelayNotices {
        @Test
        @DisplayName("a recipient queued 4 h gets exactly one delay notice, however often it is retried")
        void oneDelayNotice() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)));
                for (int m = 1; m <= 8 * 60; m += 15) {
                    f.pipe(defer(MSG, BOB, ofMinutes(m)));
                    if (m == 226) {
                        assertEquals(List.of(), f.readDelays(), "nothing before 4 h");
                    }
                }
                final List<TestRecord<String, DelayNotice>> out = f.delays.readRecordsToList();
                assertEquals(1, out.size());
                final DelayNotice n = out.get(0).value();
                assertEquals(at(ofHours(4)), n.getEventTime());
                assertEquals(at(ofHours(4)), out.get(0).getRecordTime());
                assertEquals(at(ofHours(24)), n.getWillRetryUntil(), "queued since plus expiry");
                assertEquals("delayed", n.getAction());
                assertEquals("4.4.316", n.getStatus());
                assertEquals("smtp; 451 4.4.316 Connection refused [Message=Socket error code 10061]", n.getDiagnosticCode());
                assertEquals(BOB, n.getFinalRecipient());
                assertEquals("alice@fabrikam.example", n.getOriginalSender());
                assertEquals(16, n.getAttempts(), "deferrals at 1, 16, ..., 226 minutes");
                assertEquals(at(ofMinutes(226)), n.getLastAttemptDate());
                f.advanceStreamTimeTo(ofHours(23));
                assertEquals(List.of(), f.readDelays());
            }
        }

        @Test
        @DisplayName("delay-notice-after 0 turns delay notices off")
        void disabled() {
            try (QueueTrackingFixture f = new QueueTrackingFixture("mailflow.queue.delay-notice-after", "0")) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(List.of(), f.readDelays());
                assertEquals(1, f.readNdrs().size());
            }
        }
    }

    @Nested
    @DisplayName("records out of order")
    class OutOfOrder {
        @Test
        @DisplayName("a delivery record that arrives late still takes the recipient out of the queue")
        void lateDelivery() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.advanceStreamTimeTo(ofHours(3));
                f.pipe(delivered(MSG, BOB, ofHours(1))); // event time 1 h, arrives at stream time 3 h
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(List.of(), f.readDelays());
                assertEquals(List.of(), f.readNdrs());
                assertEquals(0, f.latestSnapshots().get("Outbound to Contoso").getQueuedRecipients());
            }
        }

        @Test
        @DisplayName("a deferral older than the delivery, arriving after it, does not queue the recipient again")
        void staleDeferralAfterDelivery() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(delivered(MSG, BOB, ofHours(2)), defer(MSG, BOB, ofHours(1)));
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(List.of(), f.readNdrs());
                assertEquals(List.of(), f.readDelays());
            }
        }

        @Test
        @DisplayName("a message to 500 recipients is remembered whole: a stale deferral of its 450th recipient is recognised")
        void staleDeferralOfALargeMessage() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                for (int i = 0; i < 500; i++) {
                    f.pipe(delivered(MSG, "user" + i + "@contoso.example", ofHours(2)));
                }
                f.pipe(defer(MSG, "user449@contoso.example", ofHours(1)), defer(MSG, "other@contoso.example", ofHours(1)));
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(List.of("other@contoso.example"), f.readNdrs().stream().map(n -> n.getFinalRecipient()).toList(),
                    "only the recipient that was never delivered expires");
            }
        }

        @Test
        @DisplayName("a delivery is remembered for reorder-tolerance (1 h): an older deferral arriving within it is stale, one arriving later queues again")
        void deliveryIsRememberedForTheReorderTolerance() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(delivered(MSG, BOB, ofHours(2)), delivered(MSG, CAROL, ofHours(2)));
                f.pipe(defer(MSG, BOB, ofHours(1)));
                // a delivery at 3 h 30 m: those at 2 h are now older than 1 h
                f.pipe(delivered("<m2@test>", "dave@contoso.example", ofMinutes(210)));
                f.pipe(defer(MSG, CAROL, ofHours(1)));
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(List.of(CAROL), f.readNdrs().stream().map(NonDeliveryReport::getFinalRecipient).toList());
            }
        }

        @Test
        @DisplayName("a returned recipient stays returned: a deferral 30 min after its permanent failure gives no second NDR")
        void deferralAfterAReturnIsStale() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(failed(MSG, BOB, ofHours(2)), defer(MSG, BOB, ofHours(2).plusMinutes(30)));
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(1, f.readNdrs().size());
            }
        }
    }

    @Nested
    @DisplayName("records late within the grace (1 min by default)")
    class LateWithinGrace {
        private static final String OTHER = "<other@x>";

        @Test
        @DisplayName("a delivery 40 s late, after another message's record has passed the expiry, means no NDR")
        void lateDeliveryBeforeTheDeadlineIsNoExpiry() {
            try (QueueTrackingFixture f = new QueueTrackingFixture(QueueConfig.GRACE, "1m")) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.pipe(delivered(OTHER, CAROL, ofHours(24).plusSeconds(30))); // the partition's time passes Bob's expiry
                f.pipe(delivered(MSG, BOB, ofHours(24).minusSeconds(10)));    // Bob's delivery, 40 s late
                f.advanceStreamTimeTo(ofHours(30));
                assertEquals(List.of(), f.readNdrs(), "delivered before the deadline: no expiry NDR");
            }
        }

        @Test
        @DisplayName("beyond the grace the deadline has been judged: the late delivery no longer undoes the expiry")
        void beyondTheGraceTheExpiryStands() {
            try (QueueTrackingFixture f = new QueueTrackingFixture(QueueConfig.GRACE, "1m")) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.pipe(delivered(OTHER, CAROL, ofHours(24).plusMinutes(2)));
                f.pipe(delivered(MSG, BOB, ofHours(24).minusSeconds(10)));    // 2 min 10 s late
                f.advanceStreamTimeTo(ofHours(30));
                final List<NonDeliveryReport> ndrs = f.readNdrs();
                assertEquals(1, ndrs.size());
                assertEquals(at(ofHours(24)), ndrs.get(0).getEventTime(), "the report keeps the deadline as its time");
            }
        }

        @Test
        @DisplayName("any order of records that are at most 50 s apart gives the reports of the sorted order")
        void permutationsWithinTheGraceGiveTheSortedReports() {
            // three recipients around their delay-notice and expiry deadlines, with records of other messages moving time
            final List<MessageTrace> sorted = List.of(
                defer("<a@x>", BOB, ofMinutes(0)),
                defer("<b@x>", CAROL, ofMinutes(1)),
                defer("<c@x>", BOB, ofMinutes(2)),
                delivered(OTHER + "1", CAROL, ofHours(4).minusSeconds(20)),
                delivered("<b@x>", CAROL, ofHours(4).plusSeconds(30)),   // Carol: delivered 30 s before her delay notice is due
                delivered(OTHER + "2", CAROL, ofHours(4).plusSeconds(50)),
                delivered(OTHER + "3", CAROL, ofHours(24).minusSeconds(40)),
                delivered("<a@x>", BOB, ofHours(24).minusSeconds(5)),   // Bob a: delivered 5 s before his expiry
                delivered(OTHER + "4", CAROL, ofHours(24).plusSeconds(10)),
                delivered(OTHER + "5", CAROL, ofHours(24).plusSeconds(40)));  // Bob c expires at 24:02
            final List<String> expected = reports(sorted);
            assertEquals(3, expected.size(), "two delay notices (a, c; b is delivered after hers), one expiry (c): " + expected);
            final java.util.Random random = new java.util.Random(3);
            for (int run = 0; run < 30; run++) {
                assertEquals(expected, reports(shuffledWithin(sorted, ofSeconds(50), random)), "permutation " + run);
            }
        }

        /** Each record moved at most {@code window} from its place in time: a random order of records that close. */
        private List<MessageTrace> shuffledWithin(final List<MessageTrace> sorted, final Duration window, final java.util.Random random) {
            final List<MessageTrace> out = new java.util.ArrayList<>(sorted);
            for (int i = 0; i < out.size(); i++) {
                for (int j = i + 1; j < out.size(); j++) {
                    final long gap = out.get(j).getEventTime().toEpochMilli() - out.get(i).getEventTime().toEpochMilli();
                    if (Math.abs(gap) <= window.toMillis() && random.nextBoolean()) {
                        java.util.Collections.swap(out, i, j);
                    }
                }
            }
            return out;
        }

        private List<String> reports(final List<MessageTrace> records) {
            try (QueueTrackingFixture f = new QueueTrackingFixture(QueueConfig.GRACE, "1m")) {
                records.forEach(r -> f.pipe(r));
                f.advanceStreamTimeTo(ofHours(48));
                final List<String> out = new ArrayList<>();
                f.readDelays().forEach(d -> out.add("delay " + d.getFinalRecipient() + " " + d.getEventTime()));
                f.readNdrs().forEach(n -> out.add("ndr " + n.getFinalRecipient() + " " + n.getEventTime()));
                java.util.Collections.sort(out);
                return out;
            }
        }
    }

    @Nested
    @DisplayName("expiry logged by the MTA itself")
    class MtaExpiry {
        @Test
        @DisplayName("an EXPIRE record before our deadline yields the EXPIRED NDR from the MTA's record, once")
        void mtaExpiresFirst() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(receive(MSG, BOB, ofHours(0)), defer(MSG, BOB, ofMinutes(1)));
                f.pipe(trace(EventType.EXPIRE, MSG, BOB, ofHours(20)).setSourceServer("EXEDGE01")
                    .setSmtpReply("550").setStatusCode("4.4.7").setResponseText("550 4.4.7 QUEUE.Expired; message expired").build());
                f.advanceStreamTimeTo(ofHours(30));
                final List<NonDeliveryReport> ndrs = f.readNdrs();
                assertEquals(1, ndrs.size());
                final NonDeliveryReport ndr = ndrs.get(0);
                assertEquals(NdrReason.EXPIRED, ndr.getReason());
                assertEquals(at(ofHours(20)), ndr.getEventTime());
                assertEquals(at(ofHours(20)), ndr.getExpiryTime());
                assertEquals("EXEDGE01", ndr.getReportingMta());
                assertEquals("smtp; 550 4.4.7 QUEUE.Expired; message expired", ndr.getDiagnosticCode());
                assertEquals(at(ofMinutes(1)), ndr.getFirstDeferralTime());
            }
        }

        @Test
        @DisplayName("the MTA's expiry after ours is no second NDR, even a day later (MTA with a 2-day expiry)")
        void mtaExpiresAfterUs() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.advanceStreamTimeTo(ofHours(24));
                assertEquals(1, f.readNdrs().size());
                f.pipe(trace(EventType.FAIL, MSG, BOB, ofHours(48)).setSmtpReply("550").setStatusCode("4.4.7")
                    .setResponseText("550 4.4.7 QUEUE.Expired; message expired").build());
                f.advanceStreamTimeTo(ofHours(100));
                assertEquals(List.of(), f.readNdrs());
            }
        }

        @Test
        @DisplayName("an EXPIRE of a recipient we never saw queued still yields one NDR")
        void expireWithoutState() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(trace(EventType.EXPIRE, MSG, BOB, ofHours(5)).build(), trace(EventType.EXPIRE, MSG, BOB, ofHours(5)).build());
                final List<NonDeliveryReport> ndrs = f.readNdrs();
                assertEquals(1, ndrs.size());
                assertEquals("smtp; 550 4.4.7 QUEUE.Expired; message expired", ndrs.get(0).getDiagnosticCode());
            }
        }
    }

    @Nested
    @DisplayName("wall-clock safety net")
    class SafetyNet {
        @Test
        @DisplayName("expires a recipient when no record arrives any more")
        void firesWhenStreamTimeStandsStill() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.driver.advanceWallClockTime(ofHours(24).plusMinutes(1));
                final List<NonDeliveryReport> ndrs = f.readNdrs();
                assertEquals(1, ndrs.size());
                assertEquals(at(ofHours(24)), ndrs.get(0).getEventTime(), "still stamped with the deadline");
                assertEquals(1, f.readDelays().size(), "the 4 h notice came due too");
            }
        }

        @Test
        @DisplayName("waits for the max lag, then advances by the whole idle time")
        void maxLag() {
            try (QueueTrackingFixture f = new QueueTrackingFixture("mailflow.queue.expire-after", "3m",
                "mailflow.queue.wall-clock-safety-net.max-lag", "5m")) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.driver.advanceWallClockTime(ofMinutes(4));
                assertEquals(List.of(), f.readNdrs(), "idle 4 min is within the max lag: stream time is trusted");
                f.driver.advanceWallClockTime(ofMinutes(2));
                assertEquals(1, f.readNdrs().size(), "idle 6 min: judged at stream time + 6 min");
            }
        }

        @Test
        @DisplayName("is inert when disabled (replays)")
        void inertWhenDisabled() {
            try (QueueTrackingFixture f = new QueueTrackingFixture("mailflow.queue.wall-clock-safety-net", "false")) {
                f.pipe(defer(MSG, BOB, ofHours(0)));
                f.driver.advanceWallClockTime(ofHours(48));
                assertEquals(List.of(), f.readNdrs());
                assertEquals(List.of(), f.readDelays());
            }
        }
    }

    @Nested
    @DisplayName("connector snapshots")
    class Snapshots {
        @Test
        @DisplayName("count queued recipients and those queued longer than the backlog age, per connector")
        void counts() {
            try (QueueTrackingFixture f = new QueueTrackingFixture()) {
                f.pipe(defer("<a@x>", BOB, ofMinutes(0)), defer("<b@x>", BOB, ofMinutes(10)), defer("<c@x>", BOB, ofMinutes(50)));
                f.pipe(trace(EventType.DEFER, "<d@x>", CAROL, ofMinutes(20)).setConnectorId("Partner TLS").setSmtpReply("450")
                    .setStatusCode("4.7.320").setResponseText("450 4.7.320 Certificate validation failed").setRemoteHost("mx.partner.example").build());
                f.advanceStreamTimeTo(ofMinutes(75));
                Map<String, ConnectorQueueSnapshot> latest = f.latestSnapshots();
                final ConnectorQueueSnapshot contoso = latest.get("Outbound to Contoso");
                assertEquals(3, contoso.getQueuedRecipients());
                assertEquals(2, contoso.getQueuedOverAge(), "queued at 0 and 10 min are over 1 h at 75 min; 50 min is not");
                assertEquals(at(ofMinutes(0)), contoso.getOldestQueuedTime());
                assertEquals("4.4.316", contoso.getLastStatusCode());
                assertEquals(List.of("mail.contoso.example"), contoso.getDestinations());
                assertEquals(at(ofMinutes(70).plusSeconds(30)), contoso.getAsOf(),
                    "reported at the grid point after its last change (b crossed the backlog age at 70 min)");
                final ConnectorQueueSnapshot partner = latest.get("Partner TLS");
                assertEquals(1, partner.getQueuedRecipients());
                assertEquals(0, partner.getQueuedOverAge(), "queued at 20 min: not over 1 h until 80 min");
                assertEquals("450 4.7.320 Certificate validation failed", partner.getLastError());

                f.pipe(delivered("<a@x>", BOB, ofMinutes(76)));
                f.advanceStreamTimeTo(ofMinutes(78));
                latest = f.latestSnapshots();
                assertEquals(2, latest.get("Outbound to Contoso").getQueuedRecipients());
                assertEquals(1, latest.get("Outbound to Contoso").getQueuedOverAge());
                assertEquals(at(ofMinutes(10)), latest.get("Outbound to Contoso").getOldestQueuedTime(), "the oldest left");
                assertTrue(!latest.containsKey("Partner TLS"), "an unchanged connector is not re-emitted");

                f.advanceStreamTimeTo(ofMinutes(81));
                assertEquals(1, f.latestSnapshots().get("Partner TLS").getQueuedOverAge(), "crossed the backlog age at 80 min");
            }
        }

        @Test
        @DisplayName("coalesce: many changes within one punctuation interval make one snapshot")
        void coalesced() {
            try (QueueTrackingFixture f = new QueueTrackingFixture("mailflow.queue.punctuation-interval", "1m")) {
                f.pipe(defer("<start@x>", BOB, ofSeconds(0)));
                f.snapshots.readRecordsToList();
                for (int i = 1; i <= 50; i++) {
                    f.pipe(defer("<m" + i + "@x>", BOB, ofSeconds(i)));
                }
                assertEquals(0, f.snapshots.getQueueSize(), "within the interval");
                f.advanceStreamTimeTo(ofMinutes(2));
                final List<ConnectorQueueSnapshot> out = f.snapshots.readValuesToList().stream().map(s -> s.getQueueSnapshot()).toList();
                assertEquals(1, out.size());
                assertEquals(51, out.get(0).getQueuedRecipients());
            }
        }
    }

    @Test
    @DisplayName("due deadlines are found through the deadline index, never by visiting queued recipients that are not due")
    void deadlineIndexVisitsOnlyDueEntries() {
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Metrics.addRegistry(meters);
        try (QueueTrackingFixture f = new QueueTrackingFixture()) {
            for (int i = 0; i < 2000; i++) {
                f.pipe(defer("<m" + i + "@x>", BOB, ofSeconds(i)));
            }
            final double before = meters.counter("mailflow.queue.deadline.index.visited").count();
            f.advanceStreamTimeTo(ofHours(1).plusSeconds(99)); // backlog age 1 h: recipients 0..99 are due
            final double visited = meters.counter("mailflow.queue.deadline.index.visited").count() - before;
            assertEquals(100.0, visited, "only the 100 due entries are visited, not the 2000 queued");
            // snapshots describe grid points (every 30 s): the one at 1:01:30 counts the 90 crossed before it
            assertEquals(90, f.latestSnapshots().get("Outbound to Contoso").getQueuedOverAge());
        } finally {
            Metrics.removeRegistry(meters);
        }
    }

    @Test
    @DisplayName("the heap the remembered arrivals and outcomes hold is a gauge, within the budget")
    void messageMemoryHeapGauge() {
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Metrics.addRegistry(meters);
        try {
            for (final long budget : new long[] {80L << 20, 0L}) {
                try (QueueTrackingFixture f = new QueueTrackingFixture(QueueConfig.MESSAGE_MEMORY_MAX_BYTES, Long.toString(budget))) {
                    for (int i = 0; i < 100; i++) {
                        f.pipe(receive("<m" + i + "@x>", BOB, ofSeconds(i)));
                        f.pipe(delivered("<m" + i + "@x>", BOB, ofSeconds(i + 1)));
                    }
                    final double held = meters.get("mailflow.queue.message.memory.heap").tag("partition", "0").gauge().value();
                    if (budget > 0) {
                        // 100 arrivals and 100 outcomes: each its key, its value and about 60 bytes
                        assertTrue(held > 200 * 60 && held < 200 * 400, held + " bytes");
                    } else {
                        assertEquals(0.0, held, "no budget: all in RocksDB");
                    }
                }
                assertTrue(meters.find("mailflow.queue.message.memory.heap").gauges().isEmpty(), "removed when the task closes");
            }
        } finally {
            Metrics.removeRegistry(meters);
        }
    }

    @Test
    @DisplayName("records it cannot use do not stop tracking and are counted")
    void badInput() {
        final SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Metrics.addRegistry(meters);
        try (QueueTrackingFixture f = new QueueTrackingFixture()) {
            f.traces.pipeInput("k", null, at(ofHours(0)));
            f.pipe(trace(EventType.DEFER, MSG, null, ofHours(0)).build(), trace(EventType.DEFER, MSG, "  ", ofHours(0)).build());
            f.pipe(defer(MSG, BOB, ofHours(0)));
            f.advanceStreamTimeTo(ofHours(24));
            assertEquals(1, f.readNdrs().size());
            // a null value is a progress marker (time moves on), not bad input
            assertEquals(2.0, meters.counter("mailflow.queue.records.ignored").count());
        } finally {
            Metrics.removeRegistry(meters);
        }
    }
}
