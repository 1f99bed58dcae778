package io.mailflow.generate;

import io.mailflow.avro.Direction;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.Provenance;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Simulates an organisation's mail flow and writes it as trace records in event-time order.
 *
 * <p>New messages arrive on each connector as a Poisson process. Each one is received (RECEIVE
 * per recipient) and attempted a moment later: sent (SEND, or DELIVER for mailboxes), rejected
 * per recipient (FAIL with 5.1.1 or 5.7.1), or deferred (DEFER) and retried every retry
 * interval until the failure ends or the message expires. Deferrals come from injected
 * outages (every attempt on the connector fails with the outage's code) and, rarely, from an
 * isolated sporadic failure that the next retry gets past.
 *
 * <p>Only what is pending is in memory: a priority queue holds the next arrival per connector
 * and the next attempt or expiry per queued message, so a day of traffic needs no more memory
 * than the queue at its longest. The same seed and settings give the same records.
 */
public final class TrafficGenerator {
    private static final int ARRIVAL = 0;
    private static final int ATTEMPT = 1;
    private static final int EXPIRY = 2;
    private static final String ORG_DOMAIN = "example.com";
    private static final String[] INTERNET_DOMAINS = {
        "example.net", "example.org", "adatum.com", "tailspintoys.com", "wingtiptoys.com", "litwareinc.com",
        "woodgrovebank.com", "proseware.com", "lucernepublishing.com", "margiestravel.com",
    };
    private static final String[] SUBJECTS = {
        "Quarterly report", "Re: Invoice 2026-0113", "Meeting notes", "Shipment confirmation", "Re: Contract draft",
        "Weekly status", "Your order has shipped", "Fwd: Travel itinerary", "Purchase order, \"urgent\"", "Welcome aboard",
    };

    private final GeneratorSettings settings;
    private final MtaDialect dialect;
    private final SplittableRandom random;
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
    private final List<List<Outage>> outagesByConnector = new ArrayList<>();
    private final long[] lastSporadicByConnector;
    private final int[] recipientCounts;
    private final int[] recipientCumulative;
    private final long startMillis;
    private final long endMillis;
    private long sequence;
    private long messageSequence;
    private long emitted;
    private GenerationSummary summary;

    /** Something that wants to know how far a long run has got. */
    @FunctionalInterface
    public interface Progress {
        void update(long records, Instant eventTime);
    }

    public TrafficGenerator(final GeneratorSettings settings) {
        this.settings = settings;
        this.dialect = settings.dialect();
        this.random = new SplittableRandom(settings.seed());
        this.startMillis = settings.start().toEpochMilli();
        this.endMillis = startMillis + settings.duration().toMillis();
        this.lastSporadicByConnector = new long[settings.connectors().size()];
        java.util.Arrays.fill(lastSporadicByConnector, Long.MIN_VALUE / 2);
        for (final ConnectorProfile c : settings.connectors()) {
            outagesByConnector.add(settings.outages().stream().filter(o -> o.connector().equals(c.name())).toList());
        }
        final Map<Integer, Integer> weights = settings.recipientWeights();
        recipientCounts = new int[weights.size()];
        recipientCumulative = new int[weights.size()];
        int i = 0;
        int total = 0;
        for (final Map.Entry<Integer, Integer> e : weights.entrySet()) {
            total += e.getValue();
            recipientCounts[i] = e.getKey();
            recipientCumulative[i] = total;
            i++;
        }
    }

    public GenerationSummary generate(final TraceOutput output) throws IOException {
        return generate(output, (records, time) -> { });
    }

    /** Runs the whole simulation once; {@code progress} hears about every 100,000 records. */
    public GenerationSummary generate(final TraceOutput output, final Progress progress) throws IOException {
        summary = new GenerationSummary(settings.outages());
        for (int c = 0; c < settings.connectors().size(); c++) {
            scheduleArrival(c, startMillis);
        }
        final long limit = settings.maxRecords() > 0 ? settings.maxRecords() : Long.MAX_VALUE;
        while (!queue.isEmpty() && emitted < limit) {
            final Scheduled next = queue.poll();
            if (next.time >= endMillis) {
                break; // the run ends here: what is still queued stays queued, as in a log cut at this time
            }
            final long before = emitted;
            switch (next.kind) {
                case ARRIVAL -> arrive(next.connectorIndex, next.time, output);
                case ATTEMPT -> attempt(next.message, next.time, output);
                default -> expire(next.message, next.time, output);
            }
            if (emitted / 100_000 != before / 100_000) {
                progress.update(emitted, Instant.ofEpochMilli(next.time));
            }
        }
        queue.clear();
        return summary;
    }

    private void scheduleArrival(final int connectorIndex, final long after) {
        final double rate = settings.connectors().get(connectorIndex).ratePerMinute();
        if (rate <= 0) {
            return;
        }
        // exponential inter-arrival gaps: a Poisson process with the configured mean rate
        final double gapMillis = -Math.log(1.0 - random.nextDouble()) * 60_000.0 / rate;
        schedule(new Scheduled(after + Math.max(1, Math.round(gapMillis)), sequence++, ARRIVAL, connectorIndex, null));
    }

    private void schedule(final Scheduled scheduled) {
        queue.add(scheduled);
    }

    private void arrive(final int connectorIndex, final long now, final TraceOutput output) throws IOException {
        scheduleArrival(connectorIndex, now);
        final SimulatedMessage m = newMessage(settings.connectors().get(connectorIndex), now);
        summary.message(m.pending.size());
        final Reply received = dialect.received(m);
        for (final String recipient : m.pending) {
            emit(output, m, recipient, now, received);
        }
        // the first delivery attempt follows within seconds of the arrival
        schedule(new Scheduled(now + 200 + random.nextInt(2800), sequence++, ATTEMPT, connectorIndex, m));
    }

    private void attempt(final SimulatedMessage m, final long now, final TraceOutput output) throws IOException {
        final int connectorIndex = settings.connectors().indexOf(m.connector);
        final Outage outage = activeOutage(connectorIndex, now);
        if (outage != null) {
            summary.outageDeferrals(outage, m.pending.size());
            defer(m, now, dialect.deferred(m, outage.failure()), output);
            return;
        }
        if (!m.connector.local() && !m.sporadicSpent && random.nextDouble() < settings.sporadicRate()
            && now - lastSporadicByConnector[connectorIndex] >= settings.sporadicGap().toMillis()) {
            m.sporadicSpent = true;
            lastSporadicByConnector[connectorIndex] = now;
            summary.sporadicFailure();
            final TransientFailure failure = SPORADIC[random.nextInt(SPORADIC.length)];
            defer(m, now, dialect.deferred(m, failure), output);
            return;
        }
        Reply delivered = null;
        for (final String recipient : m.pending) {
            if (random.nextDouble() < settings.permanentRate()) {
                // mailboxes only reject unknown users; remote servers also refuse by policy
                final PermanentFailure failure = !m.connector.local() && random.nextInt(5) == 0
                    ? PermanentFailure.POLICY_REJECTION : PermanentFailure.UNKNOWN_RECIPIENT;
                summary.permanentFailure();
                emit(output, m, recipient, now, dialect.rejected(m, recipient, failure));
            } else {
                if (delivered == null) {
                    delivered = dialect.delivered(m);
                }
                emit(output, m, recipient, now, delivered);
            }
        }
        m.pending.clear();
    }

    /** Transient replies that hit single messages now and then; none of them should look like an outage. */
    private static final TransientFailure[] SPORADIC = {
        TransientFailure.SERVER_BUSY, TransientFailure.CONNECTION_DROPPED, TransientFailure.CONNECTION_TIMED_OUT,
        TransientFailure.CONNECTION_CLOSED,
    };

    private void defer(final SimulatedMessage m, final long now, final Reply reply, final TraceOutput output) throws IOException {
        m.deferrals++;
        for (final String recipient : m.pending) {
            emit(output, m, recipient, now, reply);
        }
        final long next = now + settings.retryInterval().toMillis();
        final long expiresAt = m.receivedAt + settings.expiry().toMillis();
        if (next >= expiresAt) {
            schedule(new Scheduled(expiresAt, sequence++, EXPIRY, -1, m));
        } else {
            schedule(new Scheduled(next, sequence++, ATTEMPT, -1, m));
        }
    }

    private void expire(final SimulatedMessage m, final long now, final TraceOutput output) throws IOException {
        final Reply expired = dialect.expired(m);
        summary.expired(m.pending.size());
        for (final String recipient : m.pending) {
            emit(output, m, recipient, now, expired);
        }
        m.pending.clear();
    }

    private Outage activeOutage(final int connectorIndex, final long now) {
        for (final Outage o : outagesByConnector.get(connectorIndex)) {
            if (o.activeAt(now - startMillis)) {
                return o;
            }
        }
        return null;
    }

    private void emit(final TraceOutput output, final SimulatedMessage m, final String recipient, final long time,
                      final Reply reply) throws IOException {
        final Instant at = Instant.ofEpochMilli(time);
        final MessageTrace trace = new MessageTrace(at, reply.eventType(), m.messageId,
            dialect.hasNetworkMessageId() ? m.networkMessageId : null, m.internalMessageId, m.sender, m.sender, recipient,
            reply.connectorId(), m.server, reply.remoteHost(), reply.remoteIp(), reply.smtpReply(), reply.statusCode(),
            reply.responseText(), m.subject, m.sizeBytes, m.direction, new Provenance("generator", null, null), null);
        summary.record(reply.eventType(), at);
        emitted++;
        output.accept(trace);
    }

    private SimulatedMessage newMessage(final ConnectorProfile connector, final long now) {
        final long seq = ++messageSequence;
        final String server = settings.servers().get(random.nextInt(settings.servers().size()));
        final long hi = random.nextLong();
        final long lo = random.nextLong();
        final String networkMessageId = new java.util.UUID((hi & ~0xF000L) | 0x4000L, (lo & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L).toString();
        final String messageId = "<" + Long.toHexString(hi & 0xFFFFFFFFFFFFL).toUpperCase(java.util.Locale.ROOT) + "."
            + seq + "@" + server.toLowerCase(java.util.Locale.ROOT) + "." + ORG_DOMAIN + ">";
        final String internalId = dialect.internalMessageId(seq, lo);
        final int recipientCount = recipientCount();
        final List<String> recipients = new ArrayList<>(recipientCount);
        final String sender;
        final String recipientDomain;
        final String destinationHost;
        final String clientHost;
        final String clientIp;
        final Direction direction;
        if (connector.local()) {
            final String senderDomain = INTERNET_DOMAINS[random.nextInt(INTERNET_DOMAINS.length)];
            sender = "user" + random.nextInt(100_000) + "@" + senderDomain;
            recipientDomain = ORG_DOMAIN;
            destinationHost = server.toLowerCase(java.util.Locale.ROOT) + "." + ORG_DOMAIN;
            clientHost = "mx." + senderDomain;
            clientIp = Addresses.ipFor(clientHost, "198.51.100.");
            direction = Direction.INCOMING;
        } else {
            sender = "user" + random.nextInt(5_000) + "@" + ORG_DOMAIN;
            if (connector.destination() == null) {
                recipientDomain = INTERNET_DOMAINS[random.nextInt(INTERNET_DOMAINS.length)];
                destinationHost = "mx." + recipientDomain;
            } else {
                recipientDomain = connector.partnerDomain();
                destinationHost = connector.destination();
            }
            clientHost = "ws" + random.nextInt(2_000) + "." + ORG_DOMAIN;
            clientIp = "10.0." + random.nextInt(16) + "." + (1 + random.nextInt(250));
            direction = Direction.ORIGINATING;
        }
        while (recipients.size() < recipientCount) {
            final String r = "user" + random.nextInt(recipientCount > 50 ? 1_000_000 : 50_000) + "@" + recipientDomain;
            if (!recipients.contains(r)) {
                recipients.add(r);
            }
        }
        final String destinationIp = connector.local() ? null : Addresses.ipFor(destinationHost, "203.0.113.");
        final String subject = SUBJECTS[random.nextInt(SUBJECTS.length)];
        final long size = 2_000 + (long) (-Math.log(1.0 - random.nextDouble()) * 40_000);
        return new SimulatedMessage(connector, server, networkMessageId, messageId, internalId, sender, subject, size,
            direction, destinationHost, destinationIp, clientHost, clientIp, now, recipients);
    }

    private int recipientCount() {
        final int pick = random.nextInt(recipientCumulative[recipientCumulative.length - 1]);
        for (int i = 0; i < recipientCumulative.length; i++) {
            if (pick < recipientCumulative[i]) {
                return recipientCounts[i];
            }
        }
        return recipientCounts[recipientCounts.length - 1];
    }

    /** Ordered by time, then by the order things were scheduled, so equal times replay identically. */
    private record Scheduled(long time, long seq, int kind, int connectorIndex, SimulatedMessage message)
        implements Comparable<Scheduled> {
        @Override
        public int compareTo(final Scheduled o) {
            final int byTime = Long.compare(time, o.time);
            return byTime != 0 ? byTime : Long.compare(seq, o.seq);
        }
    }
}
