package io.mailflow.ingest;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/** Test resources and a one-call replay. */
final class Fixtures {
    private Fixtures() {
    }

    static Path resource(final String name) {
        try {
            return Path.of(Fixtures.class.getResource("/ingest/" + name).toURI());
        } catch (final URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource ingest/" + name, e);
        }
    }

    /**
     * The public sample logs, {@code analyzer/src/test/resources/samples} (with SOURCES.md and
     * LICENSES.md): surefire and failsafe pass the path, so the files are read where they are kept.
     */
    static Path samplesDir() {
        final String dir = System.getProperty("mailflow.samples.dir");
        if (dir == null) {
            throw new IllegalStateException("system property mailflow.samples.dir is not set (surefire passes it: "
                    + "analyzer/src/test/resources/samples)");
        }
        return Path.of(dir);
    }

    /** Options for deterministic tests: syslog year 2024 unless given, UTC, a fixed "now". */
    static ReplayOptions options() {
        return ReplayOptions.defaults()
                .withReferenceYear(2024)
                .withClock(Clock.fixed(Instant.parse("2024-06-01T00:00:00Z"), ZoneOffset.UTC));
    }

    static Replayed replay(final ReplayOptions options, final Path... inputs) {
        final CollectingSink sink = new CollectingSink();
        try {
            final ReplaySummary summary = new Replayer().replay(List.of(inputs), options, sink);
            return new Replayed(sink, summary);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Replayed replay(final Path... inputs) {
        return replay(options(), inputs);
    }

    /** Writes {@code text} to {@code dir/fileName} and replays that one file. */
    static Replayed replayText(final Path dir, final String fileName, final String text) {
        try {
            return replay(java.nio.file.Files.writeString(dir.resolve(fileName), text));
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    record Replayed(CollectingSink sink, ReplaySummary summary) {
    }
}
