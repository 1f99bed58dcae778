package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.RsyslogProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Postfix site that already ships its maillog to Kafka with rsyslog needs no agent of ours: real
 * rsyslogd (Debian's rsyslog-kafka) follows a maillog with the deploy file
 * {@code deploy/rsyslog/mailflow-omkafka-imfile.conf} and sends every line to
 * {@code mailflow.raw-lines} (3 partitions); the analyzer parses them inside Kafka and must emit
 * the same alerts and NDRs as {@code replay --embedded} of the same maillog.
 */
@DisplayName("rsyslog omkafka → mailflow.raw-lines → the analyzer: the alerts and NDRs of replay --embedded of the same maillog")
class RsyslogAnalyzerIT {
    private static final int PARTITIONS = 3;
    private static final Duration DONE = Duration.ofMinutes(3);

    @TempDir
    Path work;

    @Test
    void sameAlertsAndNdrsAsTheEmbeddedReplay() throws Exception {
        RsyslogProcess.missing().ifPresent(what -> {
            if ("true".equals(System.getenv("CI"))) {
                fail(what + "; under CI=true this test must run (deploy/rsyslog/install.sh, pre-integration-test)");
            }
            Assumptions.abort("skipped: " + what);
        });
        final ClusterInstances.Reference replayed = ClusterInstances.reference(ClusterInstances.POSTFIX_OUTAGE);
        final List<String> lines = Files.readAllLines(replayed.logs().resolve("mail.log"), StandardCharsets.UTF_8);
        final Map<String, Map<String, List<String>>> reference = replayed.outputs();
        System.out.println("RsyslogAnalyzerIT: embedded replay of " + lines.size() + " lines: " + ClusterInstances.counts(reference));
        assertTrue(ClusterInstances.counts(reference).get("mailflow.alerts") > 0, "the outage fires alerts");
        assertTrue(ClusterInstances.counts(reference).get("mailflow.ndr") > 0, "the permanent failures give NDRs");

        final Path maillog = Files.createDirectories(work.resolve("log")).resolve("mail.log");
        Files.createFile(maillog);
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            final MailflowConfig config = MailflowConfig.builder().defaults()
                .override("bootstrap.servers", kafka.bootstrapServers())
                .override("schema.registry.url", "mock://rsyslog-analyzer-it")
                .override("application.id", "rsyslog-analyzer-it")
                .override("state.dir", work.resolve("state").toString())
                .override("mailflow.topic.partitions", Integer.toString(PARTITIONS))
                .override("mailflow.topic.retention", "infinite")
                .override("mailflow.queue.wall-clock-safety-net", "false")
                // the last lines close their windows once the quiet partitions report themselves idle
                .override("mailflow.detect.partition-idle", "5s")
                .build();
            try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
                TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            }
            final Topics topics = new Topics(config);
            try (Analyzer analyzer = new Analyzer(config);
                 RsyslogProcess rsyslog = RsyslogProcess.start(RsyslogProcess.projectDir(), kafka.bootstrapServers(),
                     config.require("mailflow.topic.raw-lines"), maillog, Files.createDirectories(work.resolve("rsyslog")))) {
                analyzer.start();
                // as Postfix writes it: chunks of lines, complete lines only
                for (int from = 0; from < lines.size(); from += 200) {
                    Files.write(maillog, lines.subList(from, Math.min(lines.size(), from + 200)), StandardCharsets.UTF_8,
                        StandardOpenOption.APPEND);
                    Thread.sleep(10);
                }
                final Map<String, Map<String, List<String>>> cluster = awaitAlertsAndNdrs(config, topics, reference, rsyslog);
                System.out.println("RsyslogAnalyzerIT: through rsyslog and mailflow.raw-lines: " + ClusterInstances.counts(cluster));
                assertEquals(reference.get(topics.alerts.name()), cluster.get(topics.alerts.name()), "alerts");
                assertEquals(reference.get(topics.ndr.name()), cluster.get(topics.ndr.name()), "NDRs");
            }
        }
    }

    /**
     * Reads the outputs until alerts and NDRs equal the reference and stay so for 10 s more, or the
     * time is up (then the last outputs are returned, for the assertion to show the difference).
     */
    private static Map<String, Map<String, List<String>>> awaitAlertsAndNdrs(final MailflowConfig config, final Topics topics,
            final Map<String, Map<String, List<String>>> reference, final RsyslogProcess rsyslog) throws InterruptedException {
        final long deadline = System.nanoTime() + DONE.toNanos();
        Map<String, Map<String, List<String>>> outputs = Map.of();
        long equalSince = 0;
        while (System.nanoTime() < deadline) {
            assertTrue(rsyslog.isAlive(), () -> "rsyslogd ended early\n" + rsyslog.diagnostics());
            outputs = ClusterInstances.outputs(config.kafkaProperties(), topics);
            final boolean equal = reference.get(topics.alerts.name()).equals(outputs.get(topics.alerts.name()))
                && reference.get(topics.ndr.name()).equals(outputs.get(topics.ndr.name()));
            if (!equal) {
                equalSince = 0;
            } else if (equalSince == 0) {
                equalSince = System.nanoTime();
            } else if (System.nanoTime() - equalSince > Duration.ofSeconds(10).toNanos()) {
                return outputs;
            }
            Thread.sleep(2_000);
        }
        return outputs;
    }
}
