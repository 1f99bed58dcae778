package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.rocksdb.RocksDBException;

@DisplayName("Starting after a hard kill: which local state may be discarded")
class AnalyzerStartupTest {
    private static final Path APP = Path.of("/var/lib/mailflow/state/mailflow").toAbsolutePath();

    @Test
    @DisplayName("a store RocksDB cannot open names its task directory, which is discarded (the changelog restores it)")
    void theTaskOfAnUnopenableStore() {
        final ProcessorStateException e = new ProcessorStateException("Error opening store queue-arrivals.1795831200000 at location "
            + APP + "/0_0/queue-arrivals/queue-arrivals.1795831200000",
            new RocksDBException("While opening a file for sequentially reading: MANIFEST-000005: No such file or directory"));
        assertEquals(APP.resolve("0_0"), Analyzer.unopenableTaskDir(e, APP));
    }

    @Test
    @DisplayName("a constructed, not yet started analyzer registers no meters: `run` adds its Prometheus registry first, so Micrometer has nothing to warn about")
    void noMetersBeforeStart(@org.junit.jupiter.api.io.TempDir final Path stateDir) {
        final org.apache.kafka.streams.StreamsBuilder builder = new org.apache.kafka.streams.StreamsBuilder();
        builder.stream("in", org.apache.kafka.streams.kstream.Consumed.as("in")).to("out",
            org.apache.kafka.streams.kstream.Produced.as("out"));
        final java.util.Properties props = new java.util.Properties();
        props.put("application.id", "meters-test");
        props.put("bootstrap.servers", "127.0.0.1:1");
        props.put("state.dir", stateDir.toString());
        final int before = io.micrometer.core.instrument.Metrics.globalRegistry.getMeters().size();
        final Analyzer analyzer = new Analyzer(builder.build(), props);
        try {
            assertEquals(before, io.micrometer.core.instrument.Metrics.globalRegistry.getMeters().size());
        } finally {
            analyzer.close(java.time.Duration.ofSeconds(5));
        }
    }

    @Test
    @DisplayName("anything else (a lock held by another instance, a path outside the app's state) is not touched")
    void nothingElse() {
        assertNull(Analyzer.unopenableTaskDir(new ProcessorStateException("Unable to obtain lock on state directory " + APP), APP));
        assertNull(Analyzer.unopenableTaskDir(new ProcessorStateException("Error opening store x at location /elsewhere/0_0/x",
            new RocksDBException("broken")), APP));
        assertNull(Analyzer.unopenableTaskDir(new ProcessorStateException("Error opening store x at location " + APP + "/0_0/x",
            new IllegalStateException("not RocksDB")), APP));
    }
}
