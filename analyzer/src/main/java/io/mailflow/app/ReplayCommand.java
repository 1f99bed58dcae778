package io.mailflow.app;

import io.mailflow.config.Durations;
import io.mailflow.config.MailflowConfig;
import io.mailflow.emit.Topic;
import io.mailflow.emit.TopicAdmin;
import io.mailflow.emit.Topics;
import io.mailflow.ingest.DateOrder;
import io.mailflow.ingest.ReplayOptions;
import io.mailflow.ingest.ReplayProgress;
import io.mailflow.ingest.ReplayRun;
import io.mailflow.ingest.Replayer;
import io.mailflow.ingest.ReplaySummary;
import io.mailflow.ingest.SortOptions;
import io.mailflow.ingest.TraceFormat;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code mailflow replay}: feeds trace files to the analyzer in event-time order, to a cluster or
 * to an embedded one whose output is written to files.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = {"Replay trace files (Exchange, Exchange Online, Postfix, JSON lines) through the analyzer, in event-time order.",
        "Exchange tracking logs, Exchange Online exports, Postfix logs or JSON lines go into mailflow.traces,",
        "merged by event time across all inputs (directories are read recursively, .gz files are decompressed).",
        "Exports are sorted, logs stream: Exchange Online exports and JSON lines are sorted by event time first (they come",
        "in any order), tracking logs and syslog stream; --sort sorts every file, --no-sort none.",
        "With --embedded, run a broker and the analyzer in this process and, with --out, write every output topic to DIR/<topic>.jsonl."})
public final class ReplayCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions configOptions;

    @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "Trace files or directories.")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--embedded", description = "Start an embedded broker, the mock:// registry and the analyzer in-process.")
    boolean embedded;

    @Option(names = "--out", paramLabel = "DIR", description = "With --embedded: write each output topic to DIR/<topic>.jsonl once complete.")
    Path out;

    @Option(names = "--include-traces", description = "With --out: also write the traces topic (every parsed record).")
    boolean includeTraces;

    @Option(names = "--force", description = "With --out: replace the output files an earlier replay left in DIR (by default such a DIR is refused).")
    boolean force;

    @Option(names = "--format", paramLabel = "FORMAT", converter = FormatConverter.class,
        description = "Force the input format instead of detecting it per file (exchange-msgtrk, exchange-online-csv, "
            + "exchange-online-detail, exchange-online-summary, exchange-online-json, postfix, jsonl).")
    TraceFormat format;

    @Option(names = "--speed", paramLabel = "max|N", defaultValue = "max", converter = SpeedConverter.class,
        description = "max (default) or N times real time, pacing by event-time gaps (demos).")
    double speed;

    @Option(names = "--year", paramLabel = "YEAR", description = "Year of the first line of classic syslog files (default: inferred from today).")
    Integer year;

    @Option(names = "--timezone", paramLabel = "ZONE", defaultValue = "UTC",
        description = "Time zone of syslog timestamps without an offset (default UTC). Exchange and Exchange Online "
            + "times without a zone are UTC whatever this says.")
    ZoneId zone;

    @Option(names = "--date-format", paramLabel = "ORDER|CULTURE", converter = DateOrderConverter.class,
        description = {"Order of day and month in the dates of Exchange Online CSV exports (Export-Csv writes them in the "
            + "exporting machine's culture), for every file: dmy, mdy, ymd, or the culture: en-US (mdy); en-GB, fr-FR, "
            + "de-DE, nl-NL, es-ES, it-IT (dmy); sv-SE, ISO (ymd); any case.",
            "Default: decided per file from its own dates (a day above 12 settles it); a file whose days are all 12 or "
            + "less is refused until this is given. Rows that do not fit the given order become dead letters."})
    DateOrder dateFormat;

    @Option(names = "--sort", negatable = true,
        description = {"Sort every file by event time before the merge, logs too (e.g. logs concatenated out of order).",
            "By default exports (exchange-online-csv, -detail, -summary, -json, jsonl) are sorted and logs "
                + "(exchange-msgtrk, postfix) stream; --no-sort streams every file."})
    Boolean sort;

    @Option(names = "--sort-buffer", paramLabel = "N",
        description = "Records held in memory for sorting, all files together; more are sorted in runs spilled to disk "
            + "(default 200000, about 0.7 KB of heap each).")
    Integer sortBuffer;

    @Option(names = "--sort-dir", paramLabel = "DIR",
        description = "Where sorted runs are spilled (default: java.io.tmpdir); deleted when the replay ends.")
    Path sortDir;

    @Option(names = "--quiet-period", paramLabel = "DURATION", defaultValue = "0s", converter = DurationOption.class,
        description = {"With --embedded: the output is complete as soon as the analyzer has caught up (committed every "
            + "trace and repartitioned record, output topics no longer growing); wait this much longer with nothing "
            + "moving before it counts as complete (default 0s: no extra wait)."})
    Duration quietPeriod;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30m", converter = DurationOption.Positive.class,
        description = "With --embedded: give up waiting for the analyzer after this long (default 30m).")
    Duration timeout;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // Every check of the arguments and the inputs comes first: a replay may take half an hour,
        // a broker takes seconds to start, and a mistake found after either wastes both.
        if (out != null && !embedded) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                "--out needs --embedded (against a cluster, read the topics with `mailflow consume`)");
        }
        if (embedded) {
            configOptions.rejectClusterFlags(spec.commandLine(), "--embedded runs its own broker and in-memory registry");
        }
        // Replays are judged on event time only: the wall-clock safety net would expire queued
        // recipients by the time the replay takes, not by the time in the logs.
        final MailflowConfig config = configOptions.resolve().with("mailflow.queue.wall-clock-safety-net", "false");
        final ReplayOptions options = ReplayOptions.defaults()
            .withFormat(format)
            .withSpeed(speed)
            .withReferenceYear(year)
            .withSyslogZone(zone)
            .withDateOrder(dateFormat)
            .withProgress(ReplayProgress.forCurrentTerminal())
            .withSort(sortOptions());
        final OutputDirectory outDir = out == null ? null : outputDirectory(config);
        Replayer.check(inputs, options);
        if (!embedded) {
            return replayToCluster(config, options);
        }
        final Future<String> runId = ReplayRun.idInBackground(inputs, options); // read while the broker starts
        final EmbeddedRuntime runtime = EmbeddedRuntime.prepare(config.with("application.id", config.get("application.id") + "-replay"));
        try (Interruption ctrlC = Interruption.onCtrlC(spec.qualifiedName(), System.err, List.of(runtime));
             EmbeddedRuntime started = runtime) {
            // the replay produces while the analyzer joins its group and restores its (empty) state
            started.launch();
            final ReplaySummary summary = KafkaReplay.replay(started.config(), started.topics(), inputs, options, null, runId).summary();
            final PrintWriter printer = spec.commandLine().getOut();
            printer.println(summary.render());
            printer.println("Waiting for the analyzer to catch up ...");
            printer.flush();
            started.awaitComplete(quietPeriod, timeout, AnalyzerProgress.forCurrentTerminal());
            printResults(started, printer);
            if (outDir != null) {
                final Topics t = started.topics();
                final List<Topic<String, ? extends SpecificRecord>> which = new ArrayList<>(
                    List.of(t.alerts, t.ndr, t.delays, t.connectorStats, t.deadLetters));
                if (includeTraces) {
                    which.add(0, t.traces);
                }
                printer.println();
                if (!outDir.earlierOutput().isEmpty()) {
                    printer.printf("replacing the output of an earlier replay in %s (%d file(s), --force)%n", out,
                        outDir.earlierOutput().size());
                }
                outDir.prepare();
                final Map<String, Path> files = started.writeTopics(out, which);
                files.forEach((topic, file) -> printer.println("wrote " + file));
            }
            printer.flush();
            if (!summary.nothingRead().isEmpty()) {
                throw new NothingReadException(summary.nothingRead());
            }
            return ExitCodes.OK;
        }
    }

    private int replayToCluster(final MailflowConfig config, final ReplayOptions options) throws InterruptedException {
        KafkaReachability.require(config);
        final Duration retention;
        try (Admin admin = Admin.create(Map.copyOf(config.kafkaProperties()))) {
            TopicAdmin.ensure(admin, TopicAdmin.specs(config), false);
            retention = TopicAdmin.retention(admin, config.require("mailflow.topic.traces"));
        }
        final KafkaReplay.Result result = KafkaReplay.replay(config, new Topics(config), inputs, options, retention);
        final PrintWriter printer = spec.commandLine().getOut();
        printer.println(result.summary().render());
        if (result.beyondRetention() > 0) {
            printer.printf("%,d records are older than the traces topic's retention (%s) and will be deleted by the broker;"
                + " recreate the topics with -D mailflow.topic.retention=infinite to analyse them.%n",
                result.beyondRetention(), Durations.humanize(retention));
        }
        printer.flush();
        if (!result.summary().nothingRead().isEmpty()) {
            throw new NothingReadException(result.summary().nothingRead());
        }
        return ExitCodes.OK;
    }

    /** {@code --out}, checked now: a file, an unwritable place or an earlier run's output without --force is a usage error. */
    private OutputDirectory outputDirectory(final MailflowConfig config) {
        // the files this run writes are named after the configured topics; an earlier run may have used the default names
        final List<String> names = new ArrayList<>();
        for (final String topic : List.of("traces", "alerts", "ndr", "delays", "connector-stats", "dead-letters")) {
            names.add(config.get("mailflow.topic." + topic) + ".jsonl");
            names.add(MailflowConfig.defaults().get("mailflow.topic." + topic) + ".jsonl");
        }
        final OutputDirectory.Checked checked = OutputDirectory.check(out, names);
        if (checked.problem() != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + ": " + checked.problem());
        }
        final OutputDirectory dir = checked.directory();
        if (!dir.earlierOutput().isEmpty() && !force) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + ": holds the output of an earlier replay ("
                + dir.earlierOutput().stream().map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.joining(", "))
                + "); give --force to replace it, or another directory");
        }
        return dir;
    }

    /** {@code --format}: one of the trace formats' ids. */
    static final class FormatConverter implements CommandLine.ITypeConverter<TraceFormat> {
        @Override
        public TraceFormat convert(final String value) {
            try {
                return TraceFormat.fromId(value);
            } catch (final IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --speed}: max, or a factor above zero. */
    static final class SpeedConverter implements CommandLine.ITypeConverter<Double> {
        @Override
        public Double convert(final String value) {
            try {
                return ReplayOptions.parseSpeed(value);
            } catch (final IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a speed: expected max, or a factor"
                    + " above zero such as 10 or 0.5x");
            }
        }
    }

    /** {@code --date-format}: an unknown value is a usage error that lists the accepted ones. */
    static final class DateOrderConverter implements CommandLine.ITypeConverter<DateOrder> {
        @Override
        public DateOrder convert(final String value) {
            try {
                return DateOrder.fromOption(value);
            } catch (final IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    SortOptions sortOptions() {
        if (sortBuffer != null && sortBuffer <= 0) {
            throw new MailflowConfig.ConfigException("--sort-buffer must be a positive number of records, not " + sortBuffer);
        }
        final SortOptions.Mode mode = sort == null ? SortOptions.Mode.AUTO
            : sort ? SortOptions.Mode.ALWAYS : SortOptions.Mode.NEVER;
        return new SortOptions(mode, sortBuffer == null ? SortOptions.DEFAULT_BUFFER : sortBuffer, sortDir);
    }

    static void printResults(final EmbeddedRuntime runtime, final PrintWriter printer) {
        final Topics t = runtime.topics();
        final EventTable table = new EventTable(printer);
        table.alerts(values(runtime, t.alerts));
        table.ndrs(values(runtime, t.ndr));
        table.delays(values(runtime, t.delays));
        table.stats(values(runtime, t.connectorStats));
        table.deadLetters(values(runtime, t.deadLetters));
    }

    private static <V extends SpecificRecord> List<V> values(final EmbeddedRuntime runtime, final Topic<String, V> topic) {
        return runtime.read(topic).stream().map(r -> r.value()).toList();
    }
}
