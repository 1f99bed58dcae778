package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A healthy run says nothing alarming: `replay --embedded` of the bundled samples and of a
 * generated log with an outage (enough transactions for the analyzer's producer to meet the
 * transactions-v2 race described in docs/architecture.md, "Log lines you may see") logs no WARN
 * and no ERROR, with the shipped log4j2.xml. The capture sits on the root logger, behind the same
 * logger levels and filters as the console, so it sees what a user's terminal would.
 */
class HealthyRunLogIT {
    private final List<String> alarming = new CopyOnWriteArrayList<>();
    private AbstractAppender capture;

    @TempDir
    Path dir;

    @BeforeEach
    void captureWarnings() {
        final LoggerContext context = (LoggerContext) LogManager.getContext(false);
        final Configuration configuration = context.getConfiguration();
        final String source = configuration.getConfigurationSource().getLocation();
        assertTrue(source != null && source.endsWith("log4j2.xml"),
            "the shipped log4j2.xml is in use (it parses), not log4j's default configuration: " + configuration);
        capture = new AbstractAppender("healthy-run-capture", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(final LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
                    alarming.add(event.getLevel() + " " + event.getLoggerName() + " - " + event.getMessage().getFormattedMessage());
                }
            }
        };
        capture.start();
        configuration.getRootLogger().addAppender(capture, Level.WARN, null);
        context.updateLoggers();
        // the capture sees what the console sees: a WARN of an io.mailflow logger
        org.slf4j.LoggerFactory.getLogger(HealthyRunLogIT.class).warn("probe");
        assertEquals(List.of("WARN " + HealthyRunLogIT.class.getName() + " - probe"), alarming);
        alarming.clear();
    }

    @AfterEach
    void stopCapture() {
        final LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().removeAppender(capture.getName());
        context.updateLoggers();
        capture.stop();
    }

    @Test
    @DisplayName("replay --embedded of the sample trace logs and a generated 2-hour log with an outage logs no WARN and no ERROR")
    void healthyReplayLogsNoWarnings() throws Exception {
        final Path generated = dir.resolve("generated");
        assertEquals(0, Mailflow.execute("generate", "--duration", "2h", "--outage", "partner-contoso:4.4.316:1h@+30m",
            "--format", "exchange", "--out", generated.toString(), "--quiet"));
        final List<String> args = new java.util.ArrayList<>(List.of("replay", "--embedded", "--out", dir.resolve("out").toString()));
        args.addAll(BundledSamples.traceLogs());
        args.add(generated.toString());
        final Path out = dir.resolve("out");

        assertEquals(0, Mailflow.execute(args.toArray(String[]::new)));

        assertTrue(Files.readAllLines(out.resolve("mailflow.alerts.jsonl")).size() >= 1, "the outage was analysed");
        assertEquals(List.of(), alarming, "a healthy run logs no WARN and no ERROR");
    }
}
