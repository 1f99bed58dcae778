package io.mailflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.mailflow.app.ConfigOptions;
import io.mailflow.config.MailflowConfig;
import io.mailflow.app.Analyzer;
import io.mailflow.app.StreamsSettings;
import io.mailflow.emit.Topics;
import io.mailflow.generate.GenerationSummary;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/**
 * {@code mailflow bench}: how fast mailflow is on this machine, compared with what Kafka itself
 * allows. Preloads generated traces, then times (each after warm-up, repeated, median) a raw
 * consumer, a pass-through Streams app and the full topology under both processing
 * guarantees; then measures alert latency under live load and the footprint of a large queue.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Benchmark mailflow's throughput, alert latency and memory against raw Kafka on this machine.",
        "Measures raw consume + Avro decode, a pass-through Kafka Streams app, the full topology (exactly_once_v2 and "
            + "at_least_once), alert latency at a live rate, and heap, RSS and state size with a million queued recipients. "
            + "Without -b/--bootstrap-servers an embedded broker runs in this JVM."},
    footer = {"", "Example:", "  mailflow bench --records 2000000 --json bench-result.json"})
public final class BenchCommand implements Callable<Integer> {

    /** The parts of a benchmark run, in the order they run and are reported. */
    public enum Section { RAW, PASSTHROUGH, FULL_EOS, FULL_ALOS, LATENCY, STATE }

    private static final String COMMIT_INTERVAL = StreamsConfig.COMMIT_INTERVAL_MS_CONFIG;
    /** The throughput sections' commit interval unless the user sets one: see throughputSections. */
    private static final String MEASURING_COMMIT_INTERVAL_MS = "100";

    @Option(names = "--records", paramLabel = "N", description = "Trace records to preload for the throughput sections (default: ${DEFAULT-VALUE}).")
    long records = 2_000_000;

    /**
     * -c, -b, -D as every command has them: -b runs the bench on that cluster instead of an embedded
     * broker; -D (e.g. mailflow.detect.fire-after=5m) applies to every app of the run. The bench's
     * apps always use an in-memory registry, so -r is refused.
     */
    @Mixin
    ConfigOptions configOptions = new ConfigOptions();

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions of the traces topic (default: ${DEFAULT-VALUE}).")
    int partitions = 6;

    @Option(names = "--repeats", paramLabel = "N", description = "Timed runs per section; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeats = 3;

    /**
     * Records a section's warm-ups process together unless --warmups is given. The JIT needs a volume
     * of work, not a count of runs, to compile the full topology's paths (Kafka's broker, transaction
     * and client code among them): one warm-up of 1 M records left it compiling through the timed runs
     * (docs/benchmarks.md, "Twenty-second session").
     */
    static final long WARMUP_RECORDS = 4_000_000;
    /** At most this many warm-ups by default, however small --records is. */
    static final int MAX_DEFAULT_WARMUPS = 8;

    @Option(names = "--warmups", paramLabel = "N", description = "Untimed runs before the timed ones, per section (default: as many as"
        + " make 4,000,000 records, at least 1 and at most 8: 2 at the default --records, 4 at 1,000,000).")
    Integer warmups;

    @Option(names = "--seed", paramLabel = "N", description = "Generator seed (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--latency-rate", paramLabel = "N", description = "Live rate for the alert-latency section, records/s (default: ${DEFAULT-VALUE}).")
    int latencyRate = 10_000;

    @Option(names = "--latency-seconds", paramLabel = "N", description = "How long the live traffic runs (default: ${DEFAULT-VALUE}).")
    int latencySeconds = 60;

    @Option(names = "--queued-recipients", paramLabel = "N", description = "Recipients queued at once in the state section (default: ${DEFAULT-VALUE}).")
    long queuedRecipients = 1_000_000;

    @Option(names = "--sections", paramLabel = "SECTION", split = ",", description = "Sections to run (default: all): ${COMPLETION-CANDIDATES}.")
    Set<Section> sections = EnumSet.allOf(Section.class);

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results to this JSON file.")
    Path json;

    @Spec
    CommandSpec spec;

    private final PrintStream out;

    public BenchCommand() {
        this(System.out);
    }

    BenchCommand(final PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        if (configOptions.schemaRegistryUrl() != null) {
            throw new ParameterException(spec.commandLine(), "-r/--schema-registry-url cannot be used here: the bench's apps use an in-memory registry");
        }
        requireAtLeast("--records", records, 1);
        requireAtLeast("--partitions", partitions, 1);
        requireAtLeast("--repeats", repeats, 1);
        requireAtLeast("--warmups", warmups(), 0);
        final String bootstrapServers = configOptions.bootstrapServers();
        final Map<String, String> settings = userSettings(configOptions.resolve());
        final Map<String, Object> result = new LinkedHashMap<>();
        result.put("startedAt", Instant.now().toString());
        result.put("machine", machine());
        result.put("settings", Map.of("records", records, "partitions", partitions, "repeats", repeats, "warmups", warmups(),
            "seed", seed, "embeddedBroker", bootstrapServers == null, "set", io.mailflow.config.Secrets.masked(settings)));
        out.printf("mailflow bench: %,d trace records, %d partitions, %d timed run(s) per section after %d warm-up(s), median%n",
            records, partitions, repeats, warmups());
        try (BenchCluster cluster = BenchCluster.open(bootstrapServers, partitions, settings)) {
            out.printf("broker: %s%s%n", cluster.bootstrapServers(), cluster.embedded() ? " (embedded, in this JVM)" : "");
            final MailflowConfig config = cluster.config("throughput");
            if (needsPreload()) {
                cluster.createTopics(config);
                final TracePreloader.Loaded loaded = TracePreloader.load(config, BenchTraffic.throughput(seed, records));
                final Map<TopicPartition, Long> ends = cluster.endOffsets(config.get("mailflow.topic.traces"));
                // the topic holds the traces and the producer's progress markers; every section reads all of them
                final long topicRecords = ends.values().stream().mapToLong(Long::longValue).sum();
                final Map<String, Object> preload = preload(loaded);
                preload.put("topicRecords", topicRecords);
                result.put("preload", preload);
                out.printf("preload: %,d records in %.1f s (%,.0f records/s, generator + producer; %,d with progress markers)%n   %s%n",
                    loaded.summary().records(), loaded.seconds(), loaded.recordsPerSecond(), topicRecords, typeMix(loaded.summary()));
                throughputSections(cluster, config, ends, result);
            }
            if (sections.contains(Section.LATENCY)) {
                out.printf("alert latency: full topology (exactly_once_v2), live traffic at %,d records/s for %d s ...%n",
                    latencyRate, latencySeconds);
                final AlertLatencyBenchmark.Result latency =
                    AlertLatencyBenchmark.run(cluster, seed, latencyRate, Duration.ofSeconds(latencySeconds));
                result.put("alertLatency", latency(latency));
                out.printf("4 alert latency: %d FIRING connector alerts (%d other alert records), %,.0f records/s produced; "
                        + "from the failure that completed the rule: p50 %.0f ms, p99 %.0f ms, max %.0f ms; "
                        + "from the watermark passing it (slowest partition a grace past it): p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                    latency.firing(), latency.otherAlerts(), latency.actualRate(),
                    Stats.percentile(latency.latenciesMillis(), 50), Stats.percentile(latency.latenciesMillis(), 99),
                    Stats.percentile(latency.latenciesMillis(), 100),
                    Stats.percentile(latency.fromWatermarkMillis(), 50), Stats.percentile(latency.fromWatermarkMillis(), 99),
                    Stats.percentile(latency.fromWatermarkMillis(), 100));
            }
            if (sections.contains(Section.STATE)) {
                out.printf("state: %,d queued recipients through the full topology ...%n", queuedRecipients);
                final StateFootprintBenchmark.Result state = StateFootprintBenchmark.run(cluster, seed, queuedRecipients);
                result.put("state", state(state));
                out.printf("5 state with %,d queued recipients (%,d records, %.1f s): live heap %s (before %s), RSS %s (before %s), "
                        + "state dir %s%n", state.queuedRecipients(), state.records(), state.seconds(), mb(state.heapAfter()),
                    mb(state.heapBefore()), mb(state.rssAfter()), mb(state.rssBefore()), mb(state.stateDirBytes()));
            }
        }
        result.put("finishedAt", Instant.now().toString());
        if (json != null) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), result);
            out.println("results written to " + json);
        }
        return 0;
    }

    /** What the user set (config file, environment, -D), without the cluster, which the bench picks itself. */
    private static Map<String, String> userSettings(final MailflowConfig config) {
        final Map<String, String> set = new LinkedHashMap<>();
        config.asMap().forEach((key, value) -> {
            if (config.sourceOf(key) != MailflowConfig.Source.DEFAULT && !key.equals("bootstrap.servers")
                && !key.equals("schema.registry.url")) {
                set.put(key, value);
            }
        });
        return set;
    }

    private boolean needsPreload() {
        return sections.contains(Section.RAW) || sections.contains(Section.PASSTHROUGH) || sections.contains(Section.FULL_EOS)
            || sections.contains(Section.FULL_ALOS);
    }

    private void throughputSections(final BenchCluster cluster, final MailflowConfig preloaded, final Map<TopicPartition, Long> ends,
                                    final Map<String, Object> result) throws Exception {
        final Map<String, Object> throughput = new LinkedHashMap<>();
        // A run is timed until its committed offsets reach the end, so it ends up to a commit interval
        // after its last record: at mailflow's 1 s that would stretch a 2-second pass-through run by a
        // quarter, and flatter the ratio. Both apps commit every 100 ms unless -D commit.interval.ms says otherwise.
        final boolean measuringInterval = preloaded.sourceOf(COMMIT_INTERVAL) == MailflowConfig.Source.DEFAULT;
        final MailflowConfig config = measuringInterval ? preloaded.with(COMMIT_INTERVAL, MEASURING_COMMIT_INTERVAL_MS) : preloaded;
        out.printf("throughput runs commit every %s ms%s%n", config.get(COMMIT_INTERVAL), measuringInterval
            ? " (mailflow runs with " + MailflowConfig.defaults().get(COMMIT_INTERVAL) + " ms; -D commit.interval.ms=... measures another)" : "");
        throughput.put("commitIntervalMs", Long.parseLong(config.get(COMMIT_INTERVAL)));
        Double raw = null;
        Double passThrough = null;
        Double fullEos = null;
        if (sections.contains(Section.RAW)) {
            final List<RunResult> runs = repeat("raw", () -> RawConsumeBenchmark.run(config, ends));
            raw = report(throughput, "rawConsume", "1 raw consume + Avro decode", runs);
        }
        if (sections.contains(Section.PASSTHROUGH)) {
            final List<RunResult> runs = repeat("pass-through", () -> {
                final Properties props = streamsProps(config, StreamsConfig.EXACTLY_ONCE_V2);
                return StreamsThroughputBenchmark.run(cluster, "passthrough-" + System.nanoTime(),
                    () -> PassThroughTopology.build(new Topics(config), props), props, ends, null).result();
            });
            passThrough = report(throughput, "passThroughExactlyOnceV2", "2 pass-through Streams app, exactly_once_v2", runs);
        }
        final Map<String, Long> stateDirBytes = new LinkedHashMap<>();
        if (sections.contains(Section.FULL_EOS)) {
            final List<RunResult> runs = repeat("full exactly_once_v2", () -> full(cluster, config, ends, StreamsConfig.EXACTLY_ONCE_V2, stateDirBytes));
            fullEos = report(throughput, "fullTopologyExactlyOnceV2", "3 full topology, exactly_once_v2", runs);
        }
        if (sections.contains(Section.FULL_ALOS)) {
            final List<RunResult> runs = repeat("full at_least_once", () -> full(cluster, config, ends, StreamsConfig.AT_LEAST_ONCE, stateDirBytes));
            report(throughput, "fullTopologyAtLeastOnce", "3 full topology, at_least_once", runs);
        }
        if (!stateDirBytes.isEmpty()) {
            throughput.put("fullTopologyStateDirBytes", stateDirBytes);
        }
        final Map<String, Object> ratios = new LinkedHashMap<>();
        if (fullEos != null && raw != null) {
            ratios.put("fullExactlyOnceV2ToRaw", fullEos / raw);
        }
        if (fullEos != null && passThrough != null) {
            ratios.put("fullExactlyOnceV2ToPassThrough", fullEos / passThrough);
        }
        if (!ratios.isEmpty()) {
            throughput.put("ratios", ratios);
            out.printf("ratios: full (exactly_once_v2) / raw = %s, full (exactly_once_v2) / pass-through = %s%n",
                fmt(ratios.get("fullExactlyOnceV2ToRaw")), fmt(ratios.get("fullExactlyOnceV2ToPassThrough")));
        }
        result.put("throughput", throughput);
    }

    private RunResult full(final BenchCluster cluster, final MailflowConfig config, final Map<TopicPartition, Long> ends,
                           final String guarantee, final Map<String, Long> stateDirBytes) throws Exception {
        final MailflowConfig c = config.with("processing.guarantee", guarantee);
        final Properties props = streamsProps(c, guarantee);
        final StreamsThroughputBenchmark.StreamsRun run = StreamsThroughputBenchmark.run(cluster,
            "full-" + guarantee.replace('_', '-') + "-" + System.nanoTime(), () -> Analyzer.topologyFor(c), props, ends, null);
        stateDirBytes.put(guarantee, run.stateDirBytes());
        return run.result();
    }

    private static Properties streamsProps(final MailflowConfig config, final String guarantee) {
        final Properties props = StreamsSettings.streamsProperties(config);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        return props;
    }

    /** Untimed runs per section: --warmups, or enough for {@link #WARMUP_RECORDS} records. */
    public int warmups() {
        return warmups != null ? warmups : (int) Math.min(MAX_DEFAULT_WARMUPS, Math.max(1, (WARMUP_RECORDS + records - 1) / records));
    }

    private void requireAtLeast(final String option, final long value, final long least) {
        if (value < least) {
            throw new ParameterException(spec.commandLine(), option + " must be at least " + least + ", not " + value);
        }
    }

    @FunctionalInterface
    private interface Timed {
        RunResult run() throws Exception;
    }

    /** Above this share of the process's CPU in a timed run, the JIT compilers get a note. */
    private static final double JIT_NOTE_SHARE = 0.10;

    private List<RunResult> repeat(final String what, final Timed timed) throws Exception {
        for (int i = 0; i < warmups(); i++) {
            final RunResult warm = timed.run();
            out.printf("   warm-up %-22s %,12.0f records/s%n", what, warm.recordsPerSecond());
        }
        final List<RunResult> runs = new ArrayList<>();
        for (int i = 0; i < repeats; i++) {
            final RunResult run = timed.run();
            out.printf("   run %d %-24s %,12.0f records/s (%.2f s)%s%s%n", i + 1, what, run.recordsPerSecond(), run.seconds(),
                run.cpu() == null ? "" : "; " + run.cpu().perRecord(run.records()), run.note() == null ? "" : " [" + run.note() + "]");
            runs.add(run);
        }
        final long compiling = runs.stream().filter(r -> r.cpu() != null && r.cpu().compilerShare() > JIT_NOTE_SHARE).count();
        if (compiling > 0) {
            out.printf("   note: the JIT compilers used more than %.0f %% of the process's CPU in %d of %d timed runs: this JVM"
                + " was still warming up; more --records or --warmups measure closer to a long-running app%n",
                100 * JIT_NOTE_SHARE, compiling, runs.size());
        }
        return runs;
    }

    private double report(final Map<String, Object> into, final String key, final String label, final List<RunResult> runs) {
        final double[] rates = runs.stream().mapToDouble(RunResult::recordsPerSecond).toArray();
        final double median = Stats.median(rates);
        final Map<String, Object> section = new LinkedHashMap<>();
        section.put("medianRecordsPerSecond", median);
        section.put("runs", runs.stream().map(r -> {
            final Map<String, Object> m = new LinkedHashMap<>();
            m.put("records", r.records());
            m.put("seconds", r.seconds());
            m.put("recordsPerSecond", r.recordsPerSecond());
            if (r.cpu() != null) {
                m.put("streamThreadCpuSeconds", r.cpu().streamThreadSeconds());
                m.put("compilerSeconds", r.cpu().compilerSeconds());
                m.put("processCpuSeconds", r.cpu().processSeconds());
            }
            if (r.note() != null) {
                m.put("note", r.note());
            }
            return m;
        }).toList());
        into.put(key, section);
        out.printf("%-46s %,12.0f records/s (median of %d)%n", label, median, runs.size());
        return median;
    }

    private static Map<String, Object> preload(final TracePreloader.Loaded loaded) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("records", loaded.summary().records());
        m.put("seconds", loaded.seconds());
        m.put("recordsPerSecond", loaded.recordsPerSecond());
        m.put("messages", loaded.summary().messages());
        final Map<String, Long> byType = new LinkedHashMap<>();
        loaded.summary().recordsByType().entrySet().stream().sorted(Map.Entry.comparingByKey())
            .forEach(e -> byType.put(e.getKey().name(), e.getValue()));
        m.put("recordsByType", byType);
        final Map<String, Long> outages = new LinkedHashMap<>();
        loaded.summary().deferralsByOutage().forEach((o, n) -> outages.put(o.toString(), n));
        m.put("outageDeferrals", outages);
        m.put("eventTimeFrom", String.valueOf(loaded.summary().firstEvent()));
        m.put("eventTimeTo", String.valueOf(loaded.summary().lastEvent()));
        return m;
    }

    private static String typeMix(final GenerationSummary summary) {
        final StringBuilder sb = new StringBuilder();
        summary.recordsByType().entrySet().stream().sorted(Map.Entry.comparingByKey())
            .forEach(e -> sb.append(String.format("%s %.1f%%  ", e.getKey(), 100.0 * e.getValue() / summary.records())));
        return sb.toString().trim();
    }

    private Map<String, Object> latency(final AlertLatencyBenchmark.Result r) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("targetRecordsPerSecond", latencyRate);
        m.put("producedRecords", r.records());
        m.put("producedRecordsPerSecond", r.actualRate());
        m.put("firingConnectorAlerts", r.firing());
        m.put("otherAlertRecords", r.otherAlerts());
        m.put("p50Millis", nanToNull(Stats.percentile(r.latenciesMillis(), 50)));
        m.put("p99Millis", nanToNull(Stats.percentile(r.latenciesMillis(), 99)));
        m.put("maxMillis", nanToNull(Stats.percentile(r.latenciesMillis(), 100)));
        m.put("latenciesMillis", r.latenciesMillis());
        m.put("fromWatermarkP50Millis", nanToNull(Stats.percentile(r.fromWatermarkMillis(), 50)));
        m.put("fromWatermarkP99Millis", nanToNull(Stats.percentile(r.fromWatermarkMillis(), 99)));
        m.put("fromWatermarkMillis", r.fromWatermarkMillis());
        return m;
    }

    private static Map<String, Object> state(final StateFootprintBenchmark.Result s) {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("queuedRecipients", s.queuedRecipients());
        m.put("records", s.records());
        m.put("seconds", s.seconds());
        m.put("heapBeforeBytes", s.heapBefore());
        m.put("heapAfterBytes", s.heapAfter());
        m.put("rssBeforeBytes", s.rssBefore());
        m.put("rssAfterBytes", s.rssAfter());
        m.put("stateDirBytes", s.stateDirBytes());
        return m;
    }

    private static Map<String, Object> machine() {
        final Map<String, Object> m = new LinkedHashMap<>();
        m.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        m.put("maxHeapBytes", Runtime.getRuntime().maxMemory());
        m.put("java", Runtime.version().toString());
        m.put("kafka", AppInfoParser.getVersion());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return m;
    }

    private static Object nanToNull(final double v) {
        return Double.isNaN(v) ? null : v;
    }

    /** Three decimals: the 0.3 target sits within a rounding of two (0.296 printed as 0.30). */
    private static String fmt(final Object ratio) {
        return ratio == null ? "n/a" : String.format("%.3f", (Double) ratio);
    }

    private static String mb(final long bytes) {
        return bytes < 0 ? "n/a" : String.format("%,.0f MB", bytes / 1048576.0);
    }

}
