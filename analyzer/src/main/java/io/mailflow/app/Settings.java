package io.mailflow.app;

import io.mailflow.config.Durations;
import io.mailflow.config.MailflowConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every setting mailflow reads, with its default and what it means: the one list behind
 * {@code mailflow settings}, docs/settings.md (a test regenerates and compares it) and the check
 * that refuses a {@code mailflow.*} key mailflow does not know. A misspelt key silently left at its
 * default is the worst kind of configuration error: the user believes a rule changed that did not.
 *
 * <p>Defaults come from {@link MailflowConfig#defaults()} (and through it from detection's and queue
 * tracking's own config records); this class adds only the meanings, and a test fails when a
 * default has no meaning here or a meaning no setting.
 */
public final class Settings {
    /** One setting: its key, its built-in default ({@code null}: none) and a sentence on what it does. */
    public record Setting(String key, String defaultValue, String meaning) {
    }

    /**
     * Names users reach for that mailflow never read, with the setting they mean: the README once
     * called {@code fire-after} "min duration".
     */
    static final Map<String, String> FORMER_NAMES = Map.of(
        "mailflow.detect.min-duration", "mailflow.detect.fire-after");

    private static final Map<String, String> MEANINGS = meanings();

    private Settings() {
    }

    private static Map<String, String> meanings() {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("bootstrap.servers", "Kafka brokers to connect to (`-b`); not used by `demo` and `replay --embedded`, which run their own");
        m.put("application.id", "Kafka Streams application id: the consumer group and the prefix of internal topics");
        m.put("schema.registry.url", "Confluent-compatible schema registry (`-r`), or `mock://scope` for an in-memory one");
        m.put("processing.guarantee", "Kafka Streams processing guarantee. With `at_least_once` a crash counts some records"
            + " twice and repeats some NDRs and stats windows (measured in docs/architecture.md, under `fault-check.sh`)");
        m.put("commit.interval.ms", "how often Kafka Streams commits (under exactly-once: ends its transaction); outputs reach"
            + " read_committed consumers and the query API at most this much later. Not Kafka's 100 ms: every commit writes a"
            + " marker to each partition the transaction wrote (up to 26 topics per partition: 18 changelogs, 2 repartition topics, 6 outputs)");
        m.put("mailflow.topic.traces", "input topic: trace records, and replay's progress markers");
        m.put("mailflow.topic.alerts", "output topic: CONNECTOR_FAILURE and QUEUE_BACKLOG alerts");
        m.put("mailflow.topic.ndr", "output topic: expiry and permanent-failure NDRs");
        m.put("mailflow.topic.delays", "output topic: delay notices");
        m.put("mailflow.topic.connector-stats", "output topic: counts per connector and status code per closed window");
        m.put("mailflow.topic.dead-letters", "output topic: input that could not be read, with source and reason");
        m.put("mailflow.topic.ship-positions", "compacted topic: each `mailflow ship` agent's file positions, committed in the transaction that carries its records");
        m.put("mailflow.topic.raw-lines", "input topic: log lines as shippers send them (JSON envelope or plain text, keyed by host),"
            + " parsed into the traces topic");
        m.put("mailflow.topic.partitions", "partitions of the topics mailflow creates (the dead-letter topic: at most 3); `replay --embedded` and `demo` use one per core, up to 2");
        m.put("mailflow.topic.replication-factor", "replication factor of the topics mailflow creates; -1 = the broker's default");
        m.put("mailflow.topic.min-insync-replicas", "`min.insync.replicas` of the topics mailflow creates (with replication factor 3: 2,"
            + " so a write survives one broker down and is on two when acknowledged); -1 = the broker's default");
        m.put("mailflow.topic.retention", "retention of the topics mailflow creates, on record (= event) time; `infinite` keeps records forever (dead letters: 30 days)");
        m.put("mailflow.raw-lines.syslog-zone", "zone of raw lines' syslog timestamps without an offset (classic Postfix lines)");
        m.put("mailflow.raw-lines.queue-retention", "a Postfix queue id whose `removed` line never came leaves the raw-lines state"
            + " after this long unseen; keep it above Postfix's maximal_queue_lifetime (5 days)");
        m.put("mailflow.metrics.port", "port of Prometheus `/metrics` and `/health` (`run`; 0 = any free port)");
        m.put("mailflow.query.port", "port of the query API (`/api/v1/...`) and its web page (`run`; 0 = any free port; when the default 8080 is taken, any free port, logged; docs/query-api.md)");
        m.put("mailflow.query.advertised-host", "host name other `run` instances reach this one's query API at; with the query port it becomes"
            + " `application.server` (default: this machine's host name; Kubernetes: the pod's stable DNS name)");
        m.put("mailflow.query.token", "bearer token every `/api/` request of the query API must carry (`Authorization: Bearer ...`), also between"
            + " instances; secret, never printed; `${file:PATH:KEY}` reads it from a properties file (default: none, no authentication)");
        m.put("mailflow.ship.name", "`ship`: this shipper's name, its key in the positions topic and its transactional id (default: the host name)");
        m.put("mailflow.ship.state-file", "`ship`: state file with every followed file's position, written after each commit (default ./mailflow-ship-NAME.state)");
        m.put("mailflow.ship.poll-interval", "`ship`: how often to look for new lines when there were none");
        m.put("mailflow.ship.batch-lines", "`ship`: at most this many lines per Kafka transaction");
        m.put("mailflow.ship.metrics-port", "`ship`: port of its `/metrics` and `/health` (0 = any free port)");
        m.put("mailflow.notify.alertmanager-urls", "`notify`: Alertmanagers to post alerts to, comma-separated (`--alertmanager-url`, one per member of an HA pair)");
        m.put("mailflow.notify.runbook-url", "`notify`: runbook link template of each alert; `{code}`, `{connector}`, `{category}`, `{alertname}`, `{type}`, `{alert_id}` are filled in");
        m.put("mailflow.notify.dashboard-url", "`notify`: dashboard link template of each alert (also its generatorURL); the same placeholders");
        m.put("mailflow.notify.resend-interval", "`notify`: how often firing alerts are posted again; Alertmanager keeps each active for 4 intervals");
        m.put("mailflow.notify.group", "`notify`: consumer group whose committed offset records which alerts were delivered");
        m.put("mailflow.notify.basic-auth-user", "`notify`: basic auth user for Alertmanager");
        m.put("mailflow.notify.basic-auth-password", "`notify`: basic auth password for Alertmanager (never printed; or `--basic-auth-password-file`)");
        m.put("mailflow.notify.bearer-token", "`notify`: bearer token for Alertmanager (never printed; or `--bearer-token-file`)");
        m.put("mailflow.notify.metrics-port", "`notify`: port of its `/metrics` and `/health` (0 = any free port)");
        m.put("mailflow.connect-timeout", "how long a command waits for the Kafka cluster to answer before it gives up, naming the address");
        m.put("mailflow.connectors.catalog", "YAML or JSON file naming each connector's kind, owner and contact; alerts then say whom to call");
        m.put("mailflow.detect.window", "length of the tumbling connector-stats windows");
        m.put("mailflow.detect.grace", "how late a trace may arrive within its input partition and still count in its stats window;"
            + " failures and snapshots are judged once the slowest partition is this far past them");
        m.put("mailflow.detect.partition-idle", "wall-clock time without a record after which a caught-up traces partition reports itself"
            + " idle and stops holding back the connector-keyed stages (`replay --embedded`: 5s)");
        m.put("mailflow.detect.idle-flush", "wall-clock idleness after which a pre-aggregation task sends its open partials early; 0 = off");
        m.put("mailflow.detect.heartbeat", "event-time interval of the heartbeats of every traces partition");
        m.put("mailflow.detect.quiet-period", "a gap without failures longer than this ends a failure episode");
        m.put("mailflow.detect.fire-after", "an episode fires (CONNECTOR_FAILURE FIRING) once it has lasted this long, first to latest failure");
        m.put("mailflow.detect.min-failures", "... and counted at least this many failures");
        m.put("mailflow.detect.update-interval", "at most one UPDATED alert per this much event time while firing");
        m.put("mailflow.detect.backlog-threshold", "recipients queued longer than the backlog age that fire QUEUE_BACKLOG");
        m.put("mailflow.detect.max-destinations", "bound of the destination lists in stats and alerts");
        m.put("mailflow.detect.source-partitions", "partitions of the traces topic; 0 = looked up on the broker at start");
        m.put("mailflow.detect.connector-partitions", "partitions of the connector stage (the `connector-signals` and `stats-partials`"
            + " repartition topics, so the tasks of the connector monitor and the stats windows and their changelogs); its key is the"
            + " connector. An existing application keeps the count its topics were created with: changing it needs a reset (docs/deploy.md)");
        m.put("mailflow.queue.delay-notice-after", "queued this long, a recipient gets one delay notice; 0 = no delay notices");
        m.put("mailflow.queue.expire-after", "queued this long, a recipient expires and its sender gets an NDR (Exchange Server uses 2d)");
        m.put("mailflow.queue.backlog-age", "queued longer than this, a recipient counts as over age (backlog alerts)");
        m.put("mailflow.reporting-mta", "Reporting-MTA of NDRs when the trace names no server");
        m.put("mailflow.queue.wall-clock-safety-net", "whether idle stream time is moved on by the wall clock (replays turn it off)");
        m.put("mailflow.queue.wall-clock-safety-net.max-lag", "how long stream time may stand still in wall-clock time before the safety net moves it");
        m.put("mailflow.queue.punctuation-interval", "the event-time grid of connector snapshots and how often the wall clock checks deadlines");
        m.put("mailflow.queue.arrival-retention", "how long a RECEIVE time is remembered for a first deferral that has not come yet");
        m.put("mailflow.queue.reorder-tolerance", "how long a delivery or permanent failure is remembered, so an older deferral arriving"
            + " after it does not queue the recipient again");
        m.put("mailflow.queue.message-memory-max-bytes", "heap the remembered arrivals and outcomes of all of an instance's tasks may"
            + " take (80 MiB), about 60 bytes plus key and value (100-200 bytes) per message received within arrival-retention and per recipient delivered within"
            + " reorder-tolerance; beyond it they go to RocksDB, with the same answers, more slowly; 0 = all in RocksDB");
        m.put("mailflow.queue.max-deadlines-per-check", "due deadlines handled per check, so one punctuation stays well inside a transaction");
        m.put("mailflow.queue.max-destinations", "destinations kept per connector queue snapshot");
        m.put("mailflow.queue.grace", "how far behind the latest event time deadlines are judged, so a late delivery still counts"
            + " before a deadline it precedes");
        return m;
    }

    /** Every setting, defaults first in the order {@link MailflowConfig#defaults()} lists them, then those without a default. */
    public static List<Setting> all() {
        final Map<String, String> defaults = MailflowConfig.defaults();
        final List<Setting> all = new ArrayList<>();
        defaults.forEach((key, value) -> all.add(new Setting(key, value, MEANINGS.get(key))));
        MEANINGS.forEach((key, meaning) -> {
            if (!defaults.containsKey(key)) {
                all.add(new Setting(key, null, meaning));
            }
        });
        return all;
    }

    /** Keys that have a meaning here; a test holds them equal to the keys of {@link #all()}. */
    static java.util.Set<String> described() {
        return MEANINGS.keySet();
    }

    public static boolean known(final String key) {
        return MEANINGS.containsKey(key) || MailflowConfig.defaults().containsKey(key);
    }

    /**
     * Refuses a configuration that sets a {@code mailflow.*} key mailflow does not read, naming
     * where it was set and the setting it most likely means. Other keys are Kafka's and pass.
     */
    public static void requireKnown(final MailflowConfig config) {
        for (final String key : config.asMap().keySet()) {
            if (key.startsWith(MailflowConfig.PREFIX) && !known(key)) {
                final MailflowConfig.Source source = config.sourceOf(key);
                final String suggestion = suggestion(key);
                throw new MailflowConfig.ConfigException("unknown setting '" + key + "'"
                    + (source == null ? "" : " (set by " + source.name().toLowerCase(Locale.ROOT) + ")")
                    + (suggestion == null ? "" : "; did you mean " + suggestion + "?")
                    + " `mailflow settings` lists every setting");
            }
        }
    }

    /** The setting {@code key} most likely means: a former name's successor, else the nearest known key by edit distance. */
    static String suggestion(final String key) {
        final String former = FORMER_NAMES.get(key);
        if (former != null) {
            return former;
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (final String candidate : MEANINGS.keySet()) {
            final int d = distance(key, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        // a guess more than a third of the key away is noise
        return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
    }

    private static int distance(final String a, final String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                final int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            final int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** The reference as Markdown: docs/settings.md is exactly this text. */
    public static String markdown() {
        final StringBuilder sb = new StringBuilder();
        sb.append("# Settings\n\n");
        sb.append("<!-- Generated from the code by `mailflow settings`; SettingsReferenceTest fails when this file differs. -->\n\n");
        sb.append("Every setting mailflow reads. Set them in a properties file (`--config FILE` or `MAILFLOW_CONFIG`), in the\n"
            + "environment (`MAILFLOW_<NAME>` for `mailflow.<name>`, one `_` for a dot, `__` for a dash;\n"
            + "`MAILFLOW_KAFKA_<NAME>` for any Kafka property) or with `-D key=value`; the last of these wins.\n"
            + "Durations are written `30m`, `4h`, `500ms`, `2d` or ISO-8601 (`PT30M`).\n\n"
            + "A `mailflow.*` key not listed here is refused (exit code 2) with the name it most likely means.\n"
            + "Every other key is a Kafka client, Kafka Streams or serde property and is passed through unchanged\n"
            + "(`num.standby.replicas`, `security.protocol`, `basic.auth.user.info`, ...).\n\n");
        sb.append("| key | default | meaning |\n| --- | --- | --- |\n");
        for (final Setting s : all()) {
            sb.append("| `").append(s.key()).append("` | ")
                .append(s.defaultValue() == null ? "none" : "`" + s.defaultValue() + "`").append(" | ")
                .append(s.meaning() == null ? "" : s.meaning().replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }
}
