package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.follow.FollowedLine;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns followed lines ({@code mailflow ship}) into trace records with the parsers {@code replay}
 * uses, so a line gives the same record live as in a replay of the file it ended up in.
 *
 * <p>One parser per file, as in a replay (an Exchange file's {@code #Fields} header is its own),
 * and one Postfix queue context for all Postfix files, as in a replay of rotated maillogs: a
 * message received before logrotate ran keeps its Message-ID, sender and size when it is delivered
 * after it.
 *
 * <p><b>Context lines.</b> A restarted shipper reads its files again from their start and passes
 * the lines it had already shipped with {@code context = true}: they rebuild the parsers' state
 * (headers, queue context) and send nothing, so the first new line is parsed exactly as it would
 * have been without the restart.
 *
 * <p>The format of a file is decided from its head as in a replay, or forced for all. A file that
 * is no trace log is left out with one warning, its lines counted as skipped.
 */
public final class LiveParser {
    private static final Logger LOG = LoggerFactory.getLogger(LiveParser.class);

    /** Where the results of one line go. */
    public interface Output {
        void trace(String key, MessageTrace trace);

        void deadLetter(DeadLetter deadLetter);

        void skipped(String reason);
    }

    private static final int MAX_FILES = 1000;

    private final ReplayOptions options;
    private final PostfixQueue postfixQueue;
    /** By inode (else path): a file's key grows with its first KiB, and a renamed file keeps its parser. */
    private final Map<String, FileParser> files = new java.util.LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<String, FileParser> eldest) {
            return size() > MAX_FILES; // months of hourly Exchange files: the least recently read leave
        }
    };
    /** The event time of the last good line overall: the stamp of a dead letter in a file that has had none. */
    private long lastEventTime;

    public LiveParser(final ReplayOptions options) {
        this.options = options;
        this.postfixQueue = new PostfixQueue(options.maxQueueIds());
    }

    /** Parses one line; with {@code context}, only to rebuild state: nothing reaches {@code out}. */
    public void parse(final FollowedLine line, final boolean context, final Output out) {
        final FileParser file = files.computeIfAbsent(fileOf(line), key -> open(line));
        if (file.parser == null) {
            if (!context) {
                out.skipped("not a trace log");
            }
            return;
        }
        final LineOutput result = file.output.reset(line, context, out);
        if (line.text().length() > LineReader.DEFAULT_MAX_LINE_CHARS) {
            result.reject("line longer than " + LineReader.DEFAULT_MAX_LINE_CHARS + " characters");
            return;
        }
        try {
            file.parser.parse(line.text(), line.lineNumber(), result);
        } catch (final RuntimeException e) {
            // a parser bug on one odd line must not stop the shipper: the line becomes a dead letter
            result.reject("parser failed: " + e);
        }
    }

    private static String fileOf(final FollowedLine line) {
        final String inode = line.file().inode();
        return inode != null ? "inode " + inode : "path " + line.path();
    }

    private FileParser open(final FollowedLine line) {
        final String name = line.path().toString();
        TraceFormat format = options.format();
        if (format == null) {
            format = FormatDetector.detect(head(line));
        }
        if (format == null) {
            LOG.warn("{}: not a trace log in any supported format; its lines are skipped (give --format to force one)", name);
            return new FileParser(null, name);
        }
        if (format != TraceFormat.EXCHANGE_MSGTRK && format != TraceFormat.POSTFIX && format != TraceFormat.JSONL) {
            // exports are written whole and come in any order: they are replayed (and sorted), not followed
            LOG.warn("{}: {} is an export, not a log that grows line by line; its lines are skipped (replay it instead)",
                name, format.id());
            return new FileParser(null, name);
        }
        final LineParser parser = Replayer.lineParser(format, name, options, postfixQueue);
        LOG.info("Following {} as {}", name, format.id());
        return new FileParser(parser, name);
    }

    /** The head of the file as a replay reads it; the line itself when the file is gone already. */
    private static String head(final FollowedLine line) {
        try (InputFiles.Opened opened = InputFiles.open(line.path(), new AtomicLong(), FormatDetector.HEAD_BYTES)) {
            if (!opened.head().isBlank()) {
                return opened.head();
            }
        } catch (final IOException | RuntimeException e) {
            LOG.debug("cannot read the head of {}: {}", line.path(), e.toString());
        }
        return line.text();
    }

    private final class FileParser {
        final LineParser parser;
        final LineOutput output;

        FileParser(final LineParser parser, final String name) {
            this.parser = parser;
            this.output = new LineOutput(name);
        }
    }

    /** One line's results, with the dead letters stamped from the input as a replay stamps them. */
    private final class LineOutput implements ParseOutput {
        private final String name;
        private long lastGood = -1;
        private FollowedLine line;
        private boolean context;
        private Output out;

        LineOutput(final String name) {
            this.name = name;
        }

        LineOutput reset(final FollowedLine current, final boolean asContext, final Output to) {
            this.line = current;
            this.context = asContext;
            this.out = to;
            return this;
        }

        @Override
        public void record(final MessageTrace trace) {
            final String tooLate = FutureEventTime.rejection(trace.getEventTime().toEpochMilli(), System.currentTimeMillis());
            if (tooLate != null) {
                reject(tooLate);
                return;
            }
            lastGood = trace.getEventTime().toEpochMilli();
            lastEventTime = lastGood;
            if (!context) {
                out.trace(MessageKeys.of(trace), trace);
            }
        }

        @Override
        public void skip(final String reason) {
            if (!context) {
                out.skipped(reason);
            }
        }

        @Override
        public void reject(final String reason) {
            if (!context) {
                // the last good line of this file, else of any file: never the wall clock
                final long stamp = lastGood >= 0 ? lastGood : lastEventTime;
                out.deadLetter(new Rejection(name, line.lineNumber(), reason, line.text(), stamp).toDeadLetter());
            }
        }
    }
}
