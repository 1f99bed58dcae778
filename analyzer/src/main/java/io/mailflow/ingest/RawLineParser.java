package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.avro.internal.PostfixQueueEntry;
import io.mailflow.emit.DeadLetters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Parses the raw-lines topic inside Kafka: each record is one log line ({@link RawLine}) as
 * rsyslog, Vector, Fluent Bit or Filebeat ship it, parsed by the same code as {@code replay}
 * into the same trace records under the same keys; only the provenance differs (file = the
 * envelope's source, line = null). Traces go to the child {@link Outputs#traces()}, unreadable
 * envelopes and lines to {@link Outputs#deadLetters()} with the reason and where they came from.
 * Lines of other programs of the same syslog stream are skipped and counted
 * ({@code mailflow.raw-lines.skipped}), like replay's skips.
 *
 * <p><b>State in stores.</b> What a Postfix line tells about a queued message (Message-ID,
 * sender, size, client, arrival, deferred recipients) waits for the message's later lines in
 * {@link #POSTFIX_QUEUE_STORE} (key {@code host/queueId}), and each Exchange log's current
 * {@code #Fields} header in {@link #EXCHANGE_FIELDS_STORE} (key {@code host|source}); with
 * exactly-once both move with the task, so a restart or failover continues mid-message. This
 * only works when every line of a host arrives in one partition in order: the shippers key the
 * records by host name, and nothing here repartitions.
 *
 * <p><b>Year of classic syslog timestamps.</b> "Mar  2 10:00:01" has no year: it is taken from
 * the envelope's {@code timestamp}, else the Kafka record's timestamp (when the shipper read the
 * line), moved back a year when the line would otherwise lie more than a day after it.
 */
public final class RawLineParser implements Processor<String, String, String, SpecificRecord> {
    public static final String POSTFIX_QUEUE_STORE = "raw-postfix-queue";
    public static final String EXCHANGE_FIELDS_STORE = "raw-exchange-fields";
    /** A Postfix entry only read by a line gets its last-seen time written back at most this often. */
    static final Duration LAST_SEEN_REFRESH = Duration.ofHours(1);
    /** How often the entries not seen for the retention are looked for (stream time). */
    static final Duration EXPIRY_INTERVAL = Duration.ofHours(1);
    private static final int MAX_CACHED_HEADERS = 256;

    /** The children traces and dead letters are sent to (sink names). */
    public record Outputs(String traces, String deadLetters) {
    }

    /** For reading a header whose outcome is known already. */
    private static final ParseOutput NOWHERE = new ParseOutput() {
        @Override
        public void record(final MessageTrace trace) {
        }

        @Override
        public void skip(final String reason) {
        }

        @Override
        public void reject(final String reason) {
        }
    };

    private final ZoneId syslogZone;
    private final Duration queueRetention;
    private final Outputs outputs;
    private final Map<String, Counter> skipped = new HashMap<>();
    /** #Fields header text -> its columns: a pure function of the text, cached so rows need not re-read it. */
    private final Map<String, ExchangeColumns> headerColumns = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, ExchangeColumns> eldest) {
            return size() > MAX_CACHED_HEADERS;
        }
    };
    private ProcessorContext<String, SpecificRecord> context;
    private StoredPostfixQueue postfixQueue;
    private KeyValueStore<String, String> exchangeFields;
    private Counter expired;

    /**
     * @param syslogZone     zone of syslog timestamps without an offset (classic Postfix lines)
     * @param queueRetention a Postfix entry not seen for this long leaves the store (longer than maximal_queue_lifetime)
     */
    public RawLineParser(final ZoneId syslogZone, final Duration queueRetention, final Outputs outputs) {
        this.syslogZone = syslogZone;
        this.queueRetention = queueRetention;
        this.outputs = outputs;
    }

    @Override
    public void init(final ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        final KeyValueStore<String, PostfixQueueEntry> queueStore = context.getStateStore(POSTFIX_QUEUE_STORE);
        this.postfixQueue = new StoredPostfixQueue(queueStore, LAST_SEEN_REFRESH.toMillis());
        this.exchangeFields = context.getStateStore(EXCHANGE_FIELDS_STORE);
        this.expired = Metrics.counter("mailflow.raw-lines.postfix-queue.expired");
        // messages whose "removed" never came (lost lines): gone after the retention, on stream time
        context.schedule(EXPIRY_INTERVAL, PunctuationType.STREAM_TIME,
            streamTime -> expired.increment(postfixQueue.expire(streamTime - queueRetention.toMillis())));
    }

    @Override
    public void process(final Record<String, String> record) {
        final RawLine raw;
        try {
            raw = RawLine.read(record.key(), record.value());
        } catch (final RawLine.Unreadable e) {
            deadLetter(record, null, e.getMessage());
            return;
        }
        final String line = raw.line().startsWith("\uFEFF") ? raw.line().substring(1) : raw.line();
        final Output out = new Output(record, raw);
        if (line.isBlank()) {
            out.skip("blank line");
            return;
        }
        final String fieldsKey = (raw.host() == null ? "" : raw.host()) + "|" + (raw.source() == null ? "" : raw.source());
        TraceFormat format = raw.format();
        String header = null; // this host's and source's #Fields header, read from the store at most once per line
        if (format == null) {
            if (line.startsWith("#")) {
                format = TraceFormat.EXCHANGE_MSGTRK; // #Software, #Version, #Log-type, #Date, #Fields
            } else if (FormatDetector.isPostfixLine(line)) {
                format = TraceFormat.POSTFIX;
            } else if (isSyslog(line)) {
                out.skip("other program (not postfix)");
                return;
            } else if ((header = exchangeFields.get(fieldsKey)) != null) {
                format = TraceFormat.EXCHANGE_MSGTRK; // a tracking-log row after its #Fields header
            } else {
                out.reject("not a Postfix syslog line, and no Exchange #Fields header seen for this host and source");
                return;
            }
        }
        if (format == TraceFormat.POSTFIX) {
            final Instant reference = raw.timestamp() != null ? raw.timestamp() : Instant.ofEpochMilli(record.timestamp());
            postfixQueue.beginLine();
            new PostfixLogParser(raw.source(), null, reference.atZone(syslogZone), syslogZone, postfixQueue).parse(line, 0, out);
            postfixQueue.endLine(record.timestamp());
        } else {
            if (header == null) {
                header = exchangeFields.get(fieldsKey);
            }
            final ExchangeColumns columns = header == null ? null : columnsOf(header);
            final ExchangeTrackingLogParser parser = new ExchangeTrackingLogParser(raw.source(), columns);
            parser.parse(line, 0, out);
            if (parser.columns() != columns) {
                exchangeFields.put(fieldsKey, line); // a new #Fields header: this log's rows follow it
            }
        }
    }

    private static boolean isSyslog(final String line) {
        return PostfixLogParser.CLASSIC.matcher(line).matches() || PostfixLogParser.RFC3339.matcher(line).matches();
    }

    private ExchangeColumns columnsOf(final String header) {
        return headerColumns.computeIfAbsent(header, text -> {
            final ExchangeTrackingLogParser reader = new ExchangeTrackingLogParser(null);
            reader.parse(text, 0, NOWHERE);
            return reader.columns();
        });
    }

    private void deadLetter(final Record<String, String> record, final RawLine raw, final String reason) {
        final RecordMetadata meta = context.recordMetadata().orElse(null);
        final String origin = raw == null ? "" : origin(raw);
        final byte[] value = record.value() == null ? null : record.value().getBytes(StandardCharsets.UTF_8);
        final DeadLetter letter = meta == null
            ? DeadLetters.forLine(raw == null || raw.source() == null ? "raw-lines" : raw.source(), 0, reason + origin,
                record.value(), record.timestamp())
            : DeadLetters.forRecord(meta.topic(), meta.partition(), meta.offset(), reason + origin, value,
                DeadLetters.STAGE_PARSE, record.timestamp());
        context.forward(new Record<String, SpecificRecord>(letter.getSource(), letter, record.timestamp()), outputs.deadLetters());
    }

    /** " (host mx1, source /var/log/mail.log)": where the line came from, beyond topic/partition/offset. */
    private static String origin(final RawLine raw) {
        if (raw.host() == null && raw.source() == null) {
            return "";
        }
        return " (" + (raw.host() == null ? "" : "host " + raw.host()) + (raw.host() != null && raw.source() != null ? ", " : "")
            + (raw.source() == null ? "" : "source " + raw.source()) + ")";
    }

    /** Where the parsers report one raw line. */
    private final class Output implements ParseOutput {

        private final Record<String, String> record;
        private final RawLine raw;

        Output(final Record<String, String> record, final RawLine raw) {
            this.record = record;
            this.raw = raw;
        }

        @Override
        public void record(final MessageTrace trace) {
            trace.getProvenance().setLine(null); // produced live: no line number (MessageTrace schema)
            context.forward(new Record<String, SpecificRecord>(MessageKeys.of(trace), trace, trace.getEventTime().toEpochMilli()),
                outputs.traces());
        }

        @Override
        public void skip(final String reason) {
            skipped.computeIfAbsent(reason, r -> Metrics.counter("mailflow.raw-lines.skipped", "reason", r)).increment();
        }

        @Override
        public void reject(final String reason) {
            deadLetter(record, raw, reason);
        }
    }
}
