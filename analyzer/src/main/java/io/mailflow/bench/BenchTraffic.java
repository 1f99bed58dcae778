package io.mailflow.bench;

import io.mailflow.generate.ConnectorProfile;
import io.mailflow.generate.GeneratorSettings;
import io.mailflow.generate.Outage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The traffic each benchmark section runs on, built from the generator. */
final class BenchTraffic {
    private BenchTraffic() {
    }

    /**
     * A busy organisation (about 2,000 messages a minute) with a one-hour connection-refused
     * outage on one partner and a certificate failure on another: mostly deliveries, a few
     * percent deferrals, the occasional permanent failure. The record limit ends the run.
     */
    static GeneratorSettings throughput(final long seed, final long records) {
        return GeneratorSettings.builder().seed(seed).duration(Duration.ofDays(7)).maxRecords(records)
            .connectors(ConnectorProfile.parseList("internet:600,partner-contoso:200,partner-fabrikam:80,mailbox:1200"))
            .outage(Outage.parse("partner-contoso:4.4.316:1h@+1h"))
            .outage(Outage.parse("partner-fabrikam:4.7.320:30m@+2h30m"))
            .build();
    }

    /** Number of partner connectors in the live-latency traffic; each gets its own outage. */
    static final int LIVE_PARTNERS = 24;

    /**
     * Live traffic for alert latency: 24 partner connectors, each failing once for 20 minutes,
     * the outages staggered two minutes apart, so every one opens its own episode.
     */
    static GeneratorSettings live(final long seed, final Duration eventTime) {
        final List<ConnectorProfile> connectors = new ArrayList<>(ConnectorProfile.parseList("internet:600,mailbox:1200"));
        final List<Outage> outages = new ArrayList<>();
        final String[] codes = {"4.4.316", "4.4.315", "4.4.312", "4.4.317", "4.4.318", "4.7.320"};
        for (int i = 0; i < LIVE_PARTNERS; i++) {
            final String name = String.format("partner-p%02d", i + 1);
            connectors.add(ConnectorProfile.parse(name + ":40"));
            outages.add(Outage.parse(name + ":" + codes[i % codes.length] + ":20m@+" + (5 + 2 * i) + "m"));
        }
        return GeneratorSettings.builder().seed(seed).duration(eventTime).connectors(connectors).outages(outages).build();
    }

    /**
     * Traffic that leaves about {@code recipients} recipients queued at once: every connector is
     * down for the whole day, so each recipient is received and deferred and never leaves the
     * queue. Arrivals are packed into ten minutes so the retries do not multiply the records.
     */
    static GeneratorSettings queued(final long seed, final long recipients) {
        final int connectors = 10;
        final double meanRecipients = 1.91; // the default recipients-per-message weights
        final double perMinute = recipients / meanRecipients / 10.0 / connectors;
        final List<ConnectorProfile> profiles = new ArrayList<>();
        final List<Outage> outages = new ArrayList<>();
        for (int i = 0; i < connectors; i++) {
            final String name = String.format("partner-q%02d", i + 1);
            profiles.add(new ConnectorProfile(name, perMinute, "mail.q" + (i + 1) + ".example", false));
            outages.add(Outage.parse(name + ":4.4.316:24h"));
        }
        return GeneratorSettings.builder().seed(seed).duration(Duration.ofMinutes(10)).connectors(profiles).outages(outages)
            .sporadicRate(0).permanentRate(0).build();
    }
}
