package io.mailflow.ingest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays trace logs into a {@link TraceSink}: every input file is recognised (or forced to a
 * format), parsed, and all files are merged by event time, so logs of several servers interleave
 * as they happened. Unparseable lines become dead letters; nothing stops a replay except an
 * input that is not a trace log at all, or an export whose dates cannot be read unambiguously
 * ({@link UnsupportedTraceFileException}), which is reported before anything is sent.
 *
 * <p>Each input is opened when the merge reaches its first event time and closed when exhausted,
 * so a directory of rotated logs keeps only the files that overlap in time open. Exports are
 * sorted, logs stream: files of the export formats (or every file with {@code --sort}) are
 * sorted whole at the start of the merge ({@link ExportSorter}, {@link SortedSource}).
 */
public final class Replayer {
    private static final Logger LOG = LoggerFactory.getLogger(Replayer.class);
    private static final long PROGRESS_INTERVAL_NANOS = 200_000_000L;

    public ReplaySummary replay(final List<Path> inputs, final ReplayOptions options, final TraceSink sink)
            throws InterruptedException {
        final long started = System.nanoTime();
        final ReplayStats stats = new ReplayStats();
        final AtomicLong bytesRead = new AtomicLong();
        final List<InputFiles.Input> files = InputFiles.expand(inputs);
        final long totalBytes = files.stream().mapToLong(InputFiles.Input::size).sum();
        final List<PendingSource> pending = recognise(files, options, stats, bytesRead, sink);
        final boolean paced = options.speed() > 0;
        // exports are sorted, logs stream: the sorter replaces the files to sort and deletes its runs at the end
        try (ExportSorter sorter = new ExportSorter(options.sort(), stats, options.progress(), bytesRead, totalBytes, started);
             EventTimeMerge merge = new EventTimeMerge(sorter.arrange(pending, stats.files))) {
            final Pacer pacer = Pacer.realTime(options.speed());
            long lastProgress = System.nanoTime();
            SourcedTrace next;
            while ((next = merge.next()) != null) {
                pacer.await(next.eventTime());
                sink.accept(MessageKeys.of(next.trace()), next.trace());
                stats.record(next);
                if (paced || (stats.records & 0x3ff) == 0) {
                    final long now = System.nanoTime();
                    if (now - lastProgress >= PROGRESS_INTERVAL_NANOS) {
                        lastProgress = now;
                        options.progress().update(new ReplayProgress.Snapshot(stats.records, bytesRead.get(), totalBytes,
                                Duration.ofNanos(now - started), next.trace().getProvenance().getFile()));
                    }
                }
            }
            stats.maxOpenFiles = merge.maxOpen();
        } finally {
            sink.flush();
        }
        final ReplaySummary summary = new ReplaySummary(stats.files, stats.filesNotRead, stats.records,
                stats.recordsByFormat, stats.recordsByEventType, stats.skippedByReason, stats.rejectedByReason,
                stats.outOfOrder, bytesRead.get(), Duration.ofNanos(System.nanoTime() - started), sink.failures(),
                stats.maxOpenFiles, stats.outOfOrderByFile, new ReplaySummary.Sorting(stats.sortedFiles, stats.sortedRecords,
                        stats.runsSpilled, stats.bytesSpilled, Duration.ofNanos(stats.sortNanos), stats.peakSortRecords),
                stats.filesWithNothingRead());
        LOG.debug("replay kept at most {} files open at once", stats.maxOpenFiles);
        if (summary.outOfOrder() > 0) {
            LOG.warn(String.format(java.util.Locale.ROOT, "%,d records came out of event-time order beyond the reorder window"
                    + " (%d file(s)); the analysis saw event time go back. Replay with --sort to sort every file first",
                    summary.outOfOrder(), summary.outOfOrderByFile().size()));
        }
        options.progress().finished(summary);
        return summary;
    }

    /**
     * Checks the inputs the way {@link #replay} will, reading only the head of each file: every path
     * exists and may be read, and every file named on the command line is a trace log (or
     * {@code --format} is given). Quick, so the CLI runs it before it starts a broker or connects to
     * one; throws {@link UnsupportedTraceFileException} with what is wrong.
     *
     * @return the number of files found
     */
    public static int check(final List<Path> inputs, final ReplayOptions options) {
        final List<InputFiles.Input> files = InputFiles.expand(inputs);
        for (final InputFiles.Input input : files) {
            final String head;
            try (InputFiles.Opened opened = InputFiles.open(input.path(), new AtomicLong(), FormatDetector.HEAD_BYTES)) {
                head = opened.head();
            } catch (final IOException e) {
                throw UnsupportedTraceFileException.cannotOpen(input.path(), e);
            }
            if (input.explicit() && options.format() == null && !head.isBlank() && FormatDetector.detect(head) == null) {
                throw new UnsupportedTraceFileException(input.path(), "not a trace log in any supported format");
            }
        }
        return files.size();
    }

    /**
     * Recognises every input before anything is sent, so a wrong file fails the replay up front,
     * and notes the event time of its first records so the merge can open it when due. Files found
     * inside a directory that are not trace logs are listed in the summary instead (a log
     * directory often holds a README or a checksum file).
     */
    private static List<PendingSource> recognise(final List<InputFiles.Input> files, final ReplayOptions options,
            final ReplayStats stats, final AtomicLong bytesRead, final TraceSink sink) {
        final List<PendingSource> out = new ArrayList<>();
        // One Postfix queue context for all Postfix files: rotated maillogs are one log
        final PostfixQueue postfixQueue = new PostfixQueue(options.maxQueueIds());
        for (final InputFiles.Input input : files) {
            final Path path = input.path();
            final String name = path.toString();
            final String head;
            try (InputFiles.Opened opened = InputFiles.open(path, new AtomicLong(), FormatDetector.HEAD_BYTES)) {
                head = opened.head();
            } catch (final IOException e) {
                throw UnsupportedTraceFileException.cannotOpen(path, e);
            }
            if (head.isBlank()) {
                stats.filesNotRead.put(name, "empty");
                continue;
            }
            final TraceFormat format = options.format() != null ? options.format() : FormatDetector.detect(head);
            if (format == null) {
                if (input.explicit()) {
                    throw new UnsupportedTraceFileException(path, "not a trace log in any supported format");
                }
                stats.filesNotRead.put(name, "not a trace log");
                LOG.warn("{}: not a trace log, left out", name);
                continue;
            }
            // the order of day and month in a CSV export's dates: --date-format, or decided from the whole file
            final ReplayOptions fileOptions = ExportDates.forFile(format, path, options);
            stats.files.put(name, format);
            final int index = out.size();
            out.add(new PendingSource(index, name, firstEventTime(format, head, name, fileOptions), () -> {
                try {
                    final InputFiles.Opened opened = InputFiles.open(path, bytesRead, 0);
                    return new TraceSource(index, name, format, reader(format, opened, name, fileOptions, postfixQueue), options.reorderWindow(),
                            stats, rejection -> sink.reject(rejection.toDeadLetter()));
                } catch (final IOException e) {
                    throw new UncheckedIOException("cannot reopen " + name, e);
                }
            }));
        }
        return out;
    }

    /** The earliest event time among the records in the head, parsed with a throwaway parser. */
    private static long firstEventTime(final TraceFormat format, final String head, final String name,
            final ReplayOptions options) {
        // a head cut mid-line would end in a broken line; parse only whole lines
        final int lastBreak = Math.max(head.lastIndexOf('\n'), head.lastIndexOf('\r'));
        final String whole = head.length() < FormatDetector.HEAD_BYTES || lastBreak < 0 ? head : head.substring(0, lastBreak + 1);
        // an unbounded reorder window makes the probe's first record the earliest one in the head
        try (TraceSource probe = new TraceSource(0, name, format,
                reader(format, new InputFiles.Opened(new java.io.StringReader(whole), whole), name, options),
                Integer.MAX_VALUE, new ReplayStats(), rejection -> { })) {
            final SourcedTrace earliest = probe.next();
            return earliest == null ? Long.MIN_VALUE : earliest.eventTime();
        } catch (final IOException | RuntimeException e) {
            return Long.MIN_VALUE;
        }
    }

    /** A reader of one file on its own (a Postfix file gets a queue context of its own). */
    static UnitReader reader(final TraceFormat format, final InputFiles.Opened opened, final String file,
            final ReplayOptions options) throws IOException {
        return reader(format, opened, file, options, new PostfixQueue(options.maxQueueIds()));
    }

    static UnitReader reader(final TraceFormat format, final InputFiles.Opened opened, final String file,
            final ReplayOptions options, final PostfixQueue postfixQueue) throws IOException {
        if (format == TraceFormat.EXCHANGE_ONLINE_JSON) {
            return new ExchangeOnlineJsonReader(opened.reader(), file);
        }
        return new LineUnitReader(new LineReader(opened.reader()), lineParser(format, file, options, postfixQueue));
    }

    /** A parser for one file; Postfix parsers of one replay share {@code postfixQueue} (see {@link PostfixLogParser}). */
    static LineParser lineParser(final TraceFormat format, final String file, final ReplayOptions options,
            final PostfixQueue postfixQueue) {
        return switch (format) {
            case EXCHANGE_MSGTRK -> new ExchangeTrackingLogParser(file);
            case EXCHANGE_ONLINE_CSV -> new ExchangeOnlineReportParser(file, options.dateOrder());
            case EXCHANGE_ONLINE_DETAIL -> new MessageTraceDetailParser(file, options.dateOrder());
            case EXCHANGE_ONLINE_SUMMARY -> new MessageTraceSummaryCsvParser(file, options.dateOrder());
            case POSTFIX -> new PostfixLogParser(file, options.referenceYear(),
                    ZonedDateTime.now(options.clock()).withZoneSameInstant(options.syslogZone()),
                    options.syslogZone(), postfixQueue);
            case JSONL -> new JsonLinesParser(file);
            case EXCHANGE_ONLINE_JSON -> throw new IllegalArgumentException("not a line format: " + format.id());
        };
    }
}
