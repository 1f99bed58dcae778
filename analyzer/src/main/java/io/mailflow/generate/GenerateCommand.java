package io.mailflow.generate;

import io.mailflow.app.ConfigOptions;
import io.mailflow.config.Durations;
import io.mailflow.config.MailflowConfig;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mailflow generate}: realistic trace records, with outages, as logs, JSON lines or straight to Kafka. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {
        "Generate realistic, reproducible mail flow with injectable connector outages.",
        "Messages on connectors at given rates, delivery attempts, retries every 15 minutes while a connector is down, "
            + "expiry after 24 hours, sporadic and permanent failures. Writes Exchange message tracking logs, Postfix syslog "
            + "lines or JSON lines, or, with -b, produces to the traces topic."},
    footer = {"", "Examples:",
        "  mailflow generate --duration 6h --outage partner-contoso:4.4.316:2h@+1h --format exchange --out logs/",
        "  mailflow generate --seed 7 --format jsonl --out - | head",
        "  mailflow generate --duration 2h -b localhost:9092 --topic mailflow.traces"})
public final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--seed", paramLabel = "N", description = "Random seed; the same seed and options give the same records (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--start", paramLabel = "INSTANT", description = "Event time the run starts at, ISO-8601 UTC (default: ${DEFAULT-VALUE}).")
    String start = GeneratorSettings.DEFAULT_START.toString();

    @Option(names = "--duration", paramLabel = "DURATION", converter = DurationConverter.class,
        description = "Event time to simulate: 30m, 6h, 2d, PT6H (default: ${DEFAULT-VALUE}).")
    Duration duration = Duration.ofHours(6);

    @Option(names = "--connectors", paramLabel = "NAME:RATE[:HOST],...", description = "Connectors as name:rate[:host], rate in messages per minute, comma-separated. "
        + "Host 'local' delivers to mailboxes, 'internet' to each domain's MX (default: ${DEFAULT-VALUE}).")
    String connectors = "internet:60,partner-contoso:20,partner-fabrikam:8,mailbox:120";

    @Option(names = "--outage", paramLabel = "CONNECTOR:CODE:DURATION@+START", description = "Inject a connector failure: connector:code:duration@+start, "
        + "e.g. partner-contoso:4.4.316:2h@+1h. Codes 4.4.312, 4.4.315, 4.4.316, 4.4.317, 4.4.318, 4.7.320. Repeatable.")
    List<String> outages = new ArrayList<>();

    @Option(names = "--retry-interval", paramLabel = "DURATION", converter = DurationConverter.class, description = "Time between retries of a queued message (default: ${DEFAULT-VALUE}).")
    Duration retryInterval = Duration.ofMinutes(15);

    @Option(names = "--expiry", paramLabel = "DURATION", converter = DurationConverter.class, description = "Message expiration timeout (default: ${DEFAULT-VALUE}).")
    Duration expiry = Duration.ofHours(24);

    @Option(names = "--sporadic-rate", paramLabel = "P", description = "Chance of an isolated transient failure per delivery attempt (default: ${DEFAULT-VALUE}).")
    double sporadicRate = 0.001;

    @Option(names = "--permanent-rate", paramLabel = "P", description = "Chance of a permanent rejection (5.1.1, 5.7.1) per recipient (default: ${DEFAULT-VALUE}).")
    double permanentRate = 0.003;

    @Option(names = "--recipients", paramLabel = "COUNT=WEIGHT,...", description = "Recipients per message as count=weight,... (default: ${DEFAULT-VALUE}).")
    String recipients = "1=70,2=15,3=7,5=5,10=2,25=1";

    @Option(names = "--servers", paramLabel = "NAME", split = ",", description = "Servers that log the traffic, one log each (default: EX01, or mx1 for postfix).")
    List<String> servers = new ArrayList<>();

    @Option(names = "--format", paramLabel = "FORMAT", converter = OutputFormatConverter.class,
        description = "Output format: jsonl, exchange, postfix (default: ${DEFAULT-VALUE}).")
    String format = "jsonl";

    @Option(names = "--dialect", paramLabel = "DIALECT", description = "Whose wording the JSON lines and Kafka records use: exchange or postfix (default: by format).")
    String dialect;

    @Option(names = "--postfix-timestamps", paramLabel = "STYLE", description = "Postfix time stamps: RFC3339 or BSD (no year) (default: ${DEFAULT-VALUE}).")
    PostfixSyslogWriter.TimestampStyle postfixTimestamps = PostfixSyslogWriter.TimestampStyle.RFC3339;

    @Option(names = "--out", paramLabel = "DIR|FILE|-", description = "Output directory or file, '-' for standard output (default: ${DEFAULT-VALUE}).")
    String out = "-";

    @Option(names = "--max-records", paramLabel = "N", description = "Stop after this many records (0: no limit).")
    long maxRecords;

    /** -c, -b, -r, -D as every command has them; -b (or bootstrap.servers given with -D) makes it produce to Kafka instead of writing files. */
    @Mixin
    ConfigOptions configOptions = new ConfigOptions();

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Topic to produce to, with -b (default: mailflow.topic.traces, mailflow.traces).")
    String topic;

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions when the topic has to be created (default: mailflow.topic.partitions).")
    Integer partitions;

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    private final PrintStream err;

    public GenerateCommand() {
        this(System.err);
    }

    GenerateCommand(final PrintStream err) {
        this.err = err;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        final MailflowConfig config = configOptions.resolve();
        final GeneratorSettings settings;
        try {
            settings = settings();
        } catch (final IllegalArgumentException | java.time.format.DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        final long began = System.nanoTime();
        final long[] lastReport = {began};
        GenerationSummary summary = null;
        try (TraceOutput output = openOutput(settings, config)) {
            summary = new TrafficGenerator(settings).generate(output, (records, eventTime) -> {
                final long now = System.nanoTime();
                if (!quiet && now - lastReport[0] > 2_000_000_000L) {
                    lastReport[0] = now;
                    err.printf("  %,d records, event time %s, %.0f records/s%n", records, eventTime, records / ((now - began) / 1e9));
                }
            });
        } catch (final IOException e) {
            if ("-".equals(out) && !toKafka() && String.valueOf(e.getMessage()).contains("Broken pipe")) {
                return 0; // the reader (head, less) has seen enough
            }
            throw e;
        }
        final double secs = (System.nanoTime() - began) / 1e9;
        err.printf("Generated in %.1f s (%.0f records/s): %s", secs, summary.records() / Math.max(secs, 1e-9), summary.format());
        return 0;
    }

    GeneratorSettings settings() {
        final List<Outage> parsedOutages = outages.stream().map(Outage::parse).toList();
        final String dialectName = dialect != null ? dialect : format;
        return GeneratorSettings.builder()
            .seed(seed)
            .start(Instant.parse(start))
            .duration(duration)
            .connectors(ConnectorProfile.parseList(connectors))
            .outages(parsedOutages)
            .retryInterval(retryInterval)
            .expiry(expiry)
            .sporadicRate(sporadicRate)
            .permanentRate(permanentRate)
            .recipientWeights(GeneratorSettings.parseRecipientWeights(recipients))
            .servers(servers)
            .dialect(MtaDialect.named(dialectName))
            .maxRecords(maxRecords)
            .build();
    }

    /** To Kafka when -b names a cluster (or -D bootstrap.servers=...); a cluster from a config file or the environment alone does not redirect files. */
    private boolean toKafka() {
        return configOptions.bootstrapServers() != null;
    }

    private TraceOutput openOutput(final GeneratorSettings settings, final MailflowConfig config) throws IOException, InterruptedException {
        if (toKafka()) {
            return kafkaOutput(config);
        }
        final boolean toStdout = "-".equals(out);
        return switch (format) {
            case "jsonl" -> new JsonLinesTraceWriter(toStdout ? stdout() : fileIn(out, "traces.jsonl"));
            case "postfix" -> new PostfixSyslogWriter(writer(toStdout ? stdout() : fileIn(out, "mail.log")), postfixTimestamps);
            case "exchange" -> {
                if (toStdout) {
                    final Writer w = writer(stdout());
                    yield new ExchangeTrackingLogWriter(server -> w);
                }
                yield ExchangeTrackingLogWriter.toDirectory(Path.of(out), settings.servers().size() > 1, settings.start());
            }
            default -> throw new IllegalArgumentException("Unknown format '" + format + "' (jsonl, exchange, postfix)");
        };
    }

    private TraceOutput kafkaOutput(final MailflowConfig config) throws InterruptedException {
        io.mailflow.app.KafkaReachability.require(config);
        final String target = topic != null ? topic : config.get("mailflow.topic.traces");
        final int parts = partitions != null ? partitions : config.getInt("mailflow.topic.partitions", 6);
        TraceTopics.ensure(config.kafkaProperties(), target, parts, (short) config.getInt("mailflow.topic.replication-factor", -1));
        return new KafkaTraceOutput(TraceTopics.producer(config), target);
    }

    private static OutputStream stdout() {
        // the data goes to stdout; progress and the summary go to stderr
        return new BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16);
    }

    /** A file: {@code out} itself, or {@code name} inside it when it is (or ends like) a directory. */
    private static OutputStream fileIn(final String out, final String name) throws IOException {
        Path path = Path.of(out);
        if (Files.isDirectory(path) || out.endsWith("/")) {
            Files.createDirectories(path);
            path = path.resolve(name);
        } else if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        return new BufferedOutputStream(Files.newOutputStream(path), 1 << 16);
    }

    private static Writer writer(final OutputStream os) {
        return new java.io.BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
    }

    /** Reads durations as mailflow's config does: 15m, 4h, 2d, PT15M; anything else is a usage error naming the option. */
    public static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(final String value) {
            try {
                return Durations.parse(value);
            } catch (final IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code --format}: the three formats generate writes. */
    static final class OutputFormatConverter implements ITypeConverter<String> {
        @Override
        public String convert(final String value) {
            if (!List.of("jsonl", "exchange", "postfix").contains(value)) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not an output format: expected jsonl, exchange or postfix");
            }
            return value;
        }
    }
}
