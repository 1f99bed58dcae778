package io.mailflow.app;

import io.mailflow.config.Durations;
import io.mailflow.config.MailflowConfig;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code mailflow lag}: how far the analyzer is behind its input, per topic; with {@code --wait},
 * a wait until it has caught up, for scripts that replay history into a cluster and then read the
 * results (deploy/local/check-lib.sh does).
 */
@Command(name = "lag", mixinStandardHelpOptions = true,
    description = {"How far the analyzer (the consumer group named by application.id) is behind: the records of the traces "
        + "topic and of its repartition topics it has not processed yet, per topic.",
        "Counted against read-committed end offsets, as the analyzer reads them: records of a transaction still open "
            + "count once it commits.",
        "Exit 0 when caught up, 1 when behind (with --wait: when --timeout passed first)."})
public final class LagCommand implements Callable<Integer> {
    private static final Duration POLL_INTERVAL = Duration.ofSeconds(1);
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(10);

    @Mixin
    ConfigOptions configOptions;

    @Option(names = {"-a", "--application-id"}, paramLabel = "ID",
        description = "The analyzer's application.id, its consumer group (default: the application.id setting, mailflow).")
    String applicationId;

    @Option(names = "--wait", description = "Poll until the analyzer has caught up, saying how far it is every 10 s (on stderr).")
    boolean await;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m", converter = DurationOption.Positive.class,
        description = "With --wait: give up after this long (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--total", description = "Print only the total lag, a number, instead of the table.")
    boolean totalOnly;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        final MailflowConfig config = configOptions.resolve();
        KafkaReachability.require(config);
        final String group = applicationId != null ? applicationId : config.require("application.id");
        final String traces = config.require("mailflow.topic.traces");
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
            final GroupOffsets offsets = new GroupOffsets(admin, group, traces);
            final long started = System.nanoTime();
            long lastProgress = started;
            while (true) {
                final CatchUp.Poll poll = offsets.poll(offsets.inputPartitions(), Set.of());
                final Map<String, long[]> perTopic = perTopic(poll);
                final long lag = perTopic.values().stream().mapToLong(v -> v[2]).sum();
                final boolean caughtUp = poll.caughtUp();
                final long now = System.nanoTime();
                if (caughtUp || !await || now - started >= timeout.toNanos()) {
                    print(out, group, perTopic, lag, caughtUp);
                    if (!caughtUp && await) {
                        err.printf("mailflow lag: %s still %,d records behind after %s%n", group, lag, Durations.humanize(timeout));
                    }
                    return caughtUp ? ExitCodes.OK : ExitCodes.RUNTIME_FAILURE;
                }
                if (now - lastProgress >= PROGRESS_INTERVAL.toNanos()) {
                    err.printf("   ... %s: %,d records behind (%s)%n", group, lag,
                        Durations.humanize(Duration.ofSeconds(Duration.ofNanos(now - started).toSeconds())));
                    lastProgress = now;
                }
                Thread.sleep(POLL_INTERVAL.toMillis());
            }
        }
    }

    /** Per topic: read-committed end, committed (at most the end), lag. */
    private static Map<String, long[]> perTopic(final CatchUp.Poll poll) {
        final Map<String, long[]> out = new TreeMap<>();
        for (final Map.Entry<TopicPartition, Long> e : poll.inputEnds().entrySet()) {
            final long end = e.getValue();
            final long committed = Math.min(end, poll.committed().getOrDefault(e.getKey(), 0L));
            final long[] row = out.computeIfAbsent(e.getKey().topic(), t -> new long[3]);
            row[0] += end;
            row[1] += committed;
            row[2] += end - committed;
        }
        return out;
    }

    private void print(final PrintWriter out, final String group, final Map<String, long[]> perTopic, final long lag,
                       final boolean caughtUp) {
        if (totalOnly) {
            out.println(lag);
            return;
        }
        out.printf("%-48s %14s %14s %12s%n", "TOPIC", "END", "COMMITTED", "LAG");
        perTopic.forEach((topic, row) -> out.printf("%-48s %,14d %,14d %,12d%n", topic, row[0], row[1], row[2]));
        out.println(caughtUp ? group + ": caught up" : String.format("%s: %,d records behind", group, lag));
    }
}
