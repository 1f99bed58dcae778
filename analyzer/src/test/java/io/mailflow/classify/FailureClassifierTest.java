package io.mailflow.classify;

import static io.mailflow.detect.TestTraces.T0;
import static io.mailflow.detect.TestTraces.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mailflow.avro.EventType;
import io.mailflow.avro.FailureCategory;
import io.mailflow.avro.MessageTrace;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class FailureClassifierTest {

    private static Classification classify(final EventType type, final String code, final String text) {
        final MessageTrace t = trace(type, T0).setStatusCode(code).setResponseText(text).build();
        return FailureClassifier.classify(t);
    }

    @Nested
    @DisplayName("Exchange Online texts")
    class ExchangeOnline {
        @Test
        void connectionRefusedWithLastAttemptedServerAndIpIsReadFromTheTextAlone() {
            final Classification c = classify(EventType.DEFER, null, "450 4.4.316 Connection refused [Message=Socket error code 10061] "
                + "[LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=203.0.113.10:25]");
            assertEquals(Outcome.TRANSIENT_FAILURE, c.outcome());
            assertEquals("450", c.smtpReply());
            assertEquals("4.4.316", c.statusCode());
            assertEquals(FailureCategory.CONNECTION_REFUSED, c.category());
            assertEquals("mail.contoso.com", c.destinationHost());
            assertEquals("203.0.113.10", c.destinationIp(), "the port is not part of the destination IP");
        }

        @Test
        void eachMailFlowIntelligenceCodeNamesItsCategory() {
            assertEquals(FailureCategory.DNS_QUERY_FAILED, classify(EventType.DEFER, null, "450 4.4.312 DNS query failed").category());
            assertEquals(FailureCategory.CONNECTION_TIMED_OUT, classify(EventType.DEFER, null, "450 4.4.315 Connection timed out").category());
            assertEquals(FailureCategory.CONNECTION_REFUSED, classify(EventType.DEFER, null, "450 4.4.316 Connection refused").category());
            assertEquals(FailureCategory.CANNOT_CONNECT, classify(EventType.DEFER, null, "450 4.4.317 Cannot connect to remote server").category());
            assertEquals(FailureCategory.CONNECTION_CLOSED, classify(EventType.DEFER, null, "450 4.4.318 Connection was closed abruptly").category());
            assertEquals(FailureCategory.CERTIFICATE_VALIDATION_FAILED, classify(EventType.DEFER, null, "450 4.7.320 Certificate validation failed").category());
        }

        @Test
        void theCodeOnTheRecordWinsOverWordsThatSaySomethingElse() {
            final Classification c = classify(EventType.DEFER, "4.4.315", "450 4.4.315 Connection refused by peer");
            assertEquals(FailureCategory.CONNECTION_TIMED_OUT, c.category());
        }

        @Test
        void anyOtherTransientCodeIsOtherTransient() {
            final Classification c = classify(EventType.DEFER, null, "450 4.7.1 Recipient address rejected: Greylisted, see http://postgrey");
            assertEquals("4.7.1", c.statusCode());
            assertEquals(FailureCategory.OTHER_TRANSIENT, c.category());
        }
    }

    @Nested
    @DisplayName("Exchange Server texts")
    class ExchangeServer {
        @Test
        void dnsQueryFailedUnder440IsTheSameFailureAs4_4_312() {
            final Classification c = classify(EventType.DEFER, null,
                "451 4.4.0 DNS query failed. The error was: SMTPSEND.DNS.NonExistentDomain; nonexistent domain");
            assertEquals("451", c.smtpReply());
            assertEquals("4.4.0", c.statusCode(), "the code is what the log says; the category is what it means");
            assertEquals(FailureCategory.DNS_QUERY_FAILED, c.category());
        }

        @Test
        void lastEndpointAttemptedNamesTheDestinationIp() {
            final Classification c = classify(EventType.DEFER, null, "451 4.4.0 Primary target IP address responded with: "
                + "\"421 4.4.2 Connection dropped due to SocketError.\" Attempted failover to alternate host, but that did not succeed. "
                + "The last endpoint attempted was 198.51.100.7:25");
            assertEquals("4.4.0", c.statusCode());
            assertEquals(FailureCategory.CONNECTION_CLOSED, c.category());
            assertEquals("198.51.100.7", c.destinationIp());
        }
    }

    @Nested
    @DisplayName("chained texts: the head is the verdict, the most specific link the cause")
    class Chained {
        @Test
        void theLastLinkNamesTheCauseWhenNoLinkHasAMailFlowIntelligenceCode() {
            final Classification c = classify(EventType.DEFER, null, "451 4.4.0 Message delayed -> 421 4.4.2 Connection dropped");
            assertEquals(Outcome.TRANSIENT_FAILURE, c.outcome());
            assertEquals("451", c.smtpReply());
            assertEquals("4.4.0", c.statusCode());
            assertEquals(FailureCategory.CONNECTION_CLOSED, c.category());
        }

        @Test
        void aMailFlowIntelligenceCodeInAnyLinkWinsOverWords() {
            final Classification c = classify(EventType.DEFER, null, "450 4.4.316 Connection refused -> 421 4.4.2 Connection dropped");
            assertEquals("4.4.316", c.statusCode());
            assertEquals(FailureCategory.CONNECTION_REFUSED, c.category());
        }

        @Test
        void anExpiryVerdictIsPermanentWhateverTransientErrorItChains() {
            final Classification c = classify(EventType.FAIL, null, "550 5.4.300 Message expired -> 451 4.4.0 DNS query failed");
            assertEquals(Outcome.PERMANENT_FAILURE, c.outcome());
            assertEquals("5.4.300", c.statusCode());
            assertEquals(FailureCategory.PERMANENT, c.category());
        }

        @Test
        void queueExpiredPairs550WithA4xxCodeAndIsStillPermanent() {
            final Classification c = classify(EventType.SEND, null, "550 4.4.7 QUEUE.Expired; message expired -> 450 4.4.316 Connection refused");
            assertEquals(Outcome.PERMANENT_FAILURE, c.outcome());
            assertEquals("550", c.smtpReply());
            assertEquals("4.4.7", c.statusCode());
        }
    }

    @Nested
    @DisplayName("Postfix deferral texts map to the same categories")
    class Postfix {
        @Test
        void connectionRefusedUnderDsn441IsConnectionRefused() {
            final Classification c = classify(EventType.DEFER, "4.4.1", "connect to gafe.se[151.252.30.111]:25: Connection refused");
            assertEquals("4.4.1", c.statusCode());
            assertEquals(FailureCategory.CONNECTION_REFUSED, c.category());
            assertEquals("gafe.se", c.destinationHost());
            assertEquals("151.252.30.111", c.destinationIp());
        }

        @Test
        void connectionTimedOutIsConnectionTimedOut() {
            final Classification c = classify(EventType.DEFER, "4.4.1", "connect to icloud.se[17.253.142.4]:25: Connection timed out");
            assertEquals(FailureCategory.CONNECTION_TIMED_OUT, c.category());
            assertEquals("icloud.se", c.destinationHost());
        }

        @Test
        void suspendedDeliveryStillNamesTheDestination() {
            final Classification c = classify(EventType.DEFER, "4.4.1",
                "delivery temporarily suspended: connect to 24.200.177.247[24.200.177.247]:25: Connection timed out");
            assertEquals(FailureCategory.CONNECTION_TIMED_OUT, c.category());
            assertEquals("24.200.177.247", c.destinationIp());
        }

        @Test
        void hostOrDomainNameNotFoundIsDnsQueryFailed() {
            final Classification c = classify(EventType.DEFER, "4.4.3",
                "Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again");
            assertEquals(FailureCategory.DNS_QUERY_FAILED, c.category());
        }

        @Test
        void lostConnectionIsConnectionClosed() {
            final Classification c = classify(EventType.DEFER, "4.4.2",
                "lost connection with email.bar.com.foo.psmtp.com[64.300.200.26] while sending DATA command");
            assertEquals(FailureCategory.CONNECTION_CLOSED, c.category());
            assertEquals("email.bar.com.foo.psmtp.com", c.destinationHost());
            assertEquals("64.300.200.26", c.destinationIp(), "obfuscated sample IPs are taken as logged, not validated");
        }

        @Test
        void conversationTimedOutIsAHungServerSoConnectionClosed() {
            final Classification c = classify(EventType.DEFER, "4.4.2",
                "conversation with smtpb.mail.medcity.net[199.91.36.34] timed out while receiving the initial server greeting");
            assertEquals(FailureCategory.CONNECTION_CLOSED, c.category());
            assertEquals("smtpb.mail.medcity.net", c.destinationHost());
        }

        @Test
        void tlsCertificateVerificationFailuresAreCertificateValidationFailed() {
            assertEquals(FailureCategory.CERTIFICATE_VALIDATION_FAILED, classify(EventType.DEFER, "4.7.5",
                "TLS is required, but server certificate verification failed for mx.example.net[192.0.2.5]:25").category());
            assertEquals(FailureCategory.CERTIFICATE_VALIDATION_FAILED, classify(EventType.DEFER, "4.7.5",
                "Server certificate not trusted").category());
            // Postfix at smtp_tls_security_level=verify or secure when the name does not match
            assertEquals(FailureCategory.CERTIFICATE_VALIDATION_FAILED, classify(EventType.DEFER, "4.7.5",
                "Server certificate not verified").category());
            // OpenSSL's own words, as other MTAs pass them on
            assertEquals(FailureCategory.CERTIFICATE_VALIDATION_FAILED, classify(EventType.DEFER, "4.7.0",
                "TLS handshake failed: certificate verify failed").category());
        }

        @Test
        void aBounceIsPermanentEvenWhenItsWordsDescribeADnsFailure() {
            final Classification c = classify(EventType.FAIL, "5.4.4",
                "Host or domain name not found. Name service error for name=hotmai.com type=A: Host found but no data record of requested type");
            assertEquals(Outcome.PERMANENT_FAILURE, c.outcome());
            assertEquals(FailureCategory.PERMANENT, c.category());
        }

        @Test
        void relayNoneIsNotADestination() {
            final MessageTrace t = trace(EventType.DEFER, T0).setStatusCode("4.4.1").setRemoteHost("none")
                .setResponseText("connect to gafe.se[151.252.30.111]:25: Connection refused").build();
            assertEquals("gafe.se", FailureClassifier.classify(t).destinationHost());
        }
    }

    @Nested
    class Robustness {
        @Test
        void deliveriesAndNonAttemptsHaveNoCategory() {
            assertEquals(Outcome.DELIVERED, classify(EventType.SEND, null, "250 2.0.0 OK 1584148796 q7si7179").outcome());
            assertNull(classify(EventType.SEND, null, "250 2.0.0 OK").category());
            assertEquals(Outcome.NOT_AN_ATTEMPT, classify(EventType.RECEIVE, null, null).outcome());
        }

        @Test
        void anIpAddressIsNotTakenForAnEnhancedCode() {
            final Classification c = classify(EventType.DEFER, null, "connect to x[5.4.3.2]:25: Connection refused");
            assertNull(c.statusCode());
            assertEquals(FailureCategory.CONNECTION_REFUSED, c.category());
        }

        @Test
        void recordFieldsWinOverTheText() {
            final MessageTrace t = trace(EventType.DEFER, T0).setStatusCode("4.4.316").setSmtpReply("451")
                .setRemoteHost("relay.example.org").setRemoteIp("192.0.2.1:25")
                .setResponseText("450 4.4.316 Connection refused [LastAttemptedServerName=mail.contoso.com]").build();
            final Classification c = FailureClassifier.classify(t);
            assertEquals("451", c.smtpReply());
            assertEquals("relay.example.org", c.destinationHost());
            assertEquals("192.0.2.1", c.destinationIp());
        }

        @Test
        void hostileTextsOfRepeatedSeparatorsAreReadWithoutFailing() {
            final String dots = "4.".repeat(50_000);
            final String brackets = "a[".repeat(50_000) + "1.2";
            final String arrows = "->".repeat(50_000);
            assertEquals(Outcome.TRANSIENT_FAILURE, classify(EventType.DEFER, null, dots).outcome());
            assertNull(classify(EventType.DEFER, null, brackets).destinationIp());
            assertEquals(FailureCategory.OTHER_TRANSIENT, classify(EventType.DEFER, null, arrows).category());
            assertTrue(classify(EventType.DEFER, null, "").isTransientFailure());
        }
    }
}
