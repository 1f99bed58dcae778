package io.mailflow.generate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything that shapes a generated run. Defaults follow the transport defaults mail flow
 * intelligence describes: retries every 15 minutes, expiry after 24 hours.
 *
 * @param seed               same seed and settings, same records
 * @param start              event time of the beginning of the run
 * @param duration           how much event time to simulate (no new messages, retries or expiries after it)
 * @param connectors         the connectors and their message rates
 * @param outages            injected connector failures
 * @param retryInterval      time between delivery attempts of a queued message
 * @param expiry             how long a message stays queued before the MTA gives up on it
 * @param sporadicRate       chance that one delivery attempt meets an isolated transient failure
 * @param sporadicGap        at most one sporadic failure per connector within this time, so they stay isolated
 * @param permanentRate      chance that one recipient is rejected permanently (5.1.1 or 5.7.1)
 * @param recipientWeights   recipients per message → relative weight
 * @param servers            servers that log the traffic (one log file each)
 * @param dialect            how the events read (Exchange or Postfix)
 * @param maxRecords         stop after this many records (0: no limit)
 */
public record GeneratorSettings(long seed, Instant start, Duration duration, List<ConnectorProfile> connectors,
                                List<Outage> outages, Duration retryInterval, Duration expiry, double sporadicRate,
                                Duration sporadicGap, double permanentRate, Map<Integer, Integer> recipientWeights,
                                List<String> servers, MtaDialect dialect, long maxRecords) {

    public static final Instant DEFAULT_START = Instant.parse("2026-03-02T08:00:00Z");

    public GeneratorSettings {
        connectors = List.copyOf(connectors);
        outages = List.copyOf(outages);
        recipientWeights = new TreeMap<>(recipientWeights);
        for (final Outage outage : outages) {
            if (connectors.stream().noneMatch(c -> c.name().equals(outage.connector()))) {
                throw new IllegalArgumentException("Outage on unknown connector '" + outage.connector() + "'");
            }
        }
        if (retryInterval.isZero() || retryInterval.isNegative()) {
            throw new IllegalArgumentException("The retry interval must be positive");
        }
        if (recipientWeights.isEmpty() || recipientWeights.keySet().stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("Recipients per message need at least one count of 1 or more");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        final Builder b = new Builder();
        b.seed = seed;
        b.start = start;
        b.duration = duration;
        b.connectors = new ArrayList<>(connectors);
        b.outages = new ArrayList<>(outages);
        b.retryInterval = retryInterval;
        b.expiry = expiry;
        b.sporadicRate = sporadicRate;
        b.sporadicGap = sporadicGap;
        b.permanentRate = permanentRate;
        b.recipientWeights = new TreeMap<>(recipientWeights);
        b.servers = new ArrayList<>(servers);
        b.dialect = dialect;
        b.maxRecords = maxRecords;
        return b;
    }

    /** Parses {@code 1=70,2=15,5=5}: recipients per message and their relative weights. */
    public static Map<Integer, Integer> parseRecipientWeights(final String spec) {
        final Map<Integer, Integer> weights = new TreeMap<>();
        for (final String part : spec.split(",")) {
            final String[] kv = part.trim().split("=");
            if (kv.length != 2) {
                throw new IllegalArgumentException("Recipients '" + spec + "' is not count=weight,... (example: 1=70,2=15,5=5)");
            }
            try {
                weights.put(Integer.parseInt(kv[0].trim()), Integer.parseInt(kv[1].trim()));
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException("Recipients '" + spec + "': '" + part + "' is not count=weight");
            }
        }
        return weights;
    }

    public static final class Builder {
        private long seed = 42;
        private Instant start = DEFAULT_START;
        private Duration duration = Duration.ofHours(6);
        private List<ConnectorProfile> connectors = new ArrayList<>(ConnectorProfile.defaults());
        private List<Outage> outages = new ArrayList<>();
        private Duration retryInterval = Duration.ofMinutes(15);
        private Duration expiry = Duration.ofHours(24);
        private double sporadicRate = 0.001;
        private Duration sporadicGap = Duration.ofMinutes(30);
        private double permanentRate = 0.003;
        private Map<Integer, Integer> recipientWeights = parseRecipientWeights("1=70,2=15,3=7,5=5,10=2,25=1");
        private List<String> servers = new ArrayList<>();
        private MtaDialect dialect = ExchangeDialect.INSTANCE;
        private long maxRecords;

        public Builder seed(final long v) { seed = v; return this; }
        public Builder start(final Instant v) { start = v; return this; }
        public Builder duration(final Duration v) { duration = v; return this; }
        public Builder connectors(final List<ConnectorProfile> v) { connectors = new ArrayList<>(v); return this; }
        public Builder outages(final List<Outage> v) { outages = new ArrayList<>(v); return this; }
        public Builder outage(final Outage v) { outages.add(v); return this; }
        public Builder retryInterval(final Duration v) { retryInterval = v; return this; }
        public Builder expiry(final Duration v) { expiry = v; return this; }
        public Builder sporadicRate(final double v) { sporadicRate = v; return this; }
        public Builder sporadicGap(final Duration v) { sporadicGap = v; return this; }
        public Builder permanentRate(final double v) { permanentRate = v; return this; }
        public Builder recipientWeights(final Map<Integer, Integer> v) { recipientWeights = new TreeMap<>(v); return this; }
        public Builder servers(final List<String> v) { servers = new ArrayList<>(v); return this; }
        public Builder dialect(final MtaDialect v) { dialect = v; return this; }
        public Builder maxRecords(final long v) { maxRecords = v; return this; }

        public GeneratorSettings build() {
            final List<String> names = servers.isEmpty() ? List.of(dialect.defaultServer(0)) : servers;
            return new GeneratorSettings(seed, start, duration, connectors, outages, retryInterval, expiry, sporadicRate,
                sporadicGap, permanentRate, recipientWeights, names, dialect, maxRecords);
        }
    }
}
