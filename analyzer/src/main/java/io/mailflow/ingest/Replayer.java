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
 * input that is not a trace log at all ({@link UnsupportedTraceFileException}), which is
 * reported before anything is sent.
 *
 * <p>All inputs are open at once during the merge (one reader, one reorder buffer each).
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
        final List<TraceSource> sources = open(files, options, stats, bytesRead, sink);
        try {
            final EventTimeMerge merge = new EventTimeMerge(sources);
            final Pacer pacer = Pacer.realTime(options.speed());
            long lastProgress = System.nanoTime();
            SourcedTrace next;
            while ((next = merge.next()) != null) {
                pacer.await(next.eventTime());
                sink.accept(MessageKeys.of(next.trace()), next.trace());
                stats.record(next);
                if ((stats.records & 0x3ff) == 0) {
                    final long now = System.nanoTime();
                    if (now - lastProgress >= PROGRESS_INTERVAL_NANOS) {
                        lastProgress = now;
                        options.progress().update(new ReplayProgress.Snapshot(stats.records, bytesRead.get(), totalBytes,
                                Duration.ofNanos(now - started), sources.get(next.sourceIndex()).file()));
                    }
                }
            }
        } finally {
            for (final TraceSource s : sources) {
                try {
                    s.close();
                } catch (final IOException e) {
                    LOG.warn("closing {} failed", s.file(), e);
                }
            }
            sink.flush();
        }
        final ReplaySummary summary = new ReplaySummary(stats.files, stats.filesNotRead, stats.records,
                stats.recordsByFormat, stats.recordsByEventType, stats.skippedByReason, stats.rejectedByReason,
                stats.outOfOrder, bytesRead.get(), Duration.ofNanos(System.nanoTime() - started), sink.failures());
        options.progress().finished(summary);
        return summary;
    }

    /**
     * Opens and recognises every input before anything is sent, so a wrong file fails the replay
     * up front. Files found inside a directory that are not trace logs are listed in the summary
     * instead (a log directory often holds a README or a checksum file).
     */
    private static List<TraceSource> open(final List<InputFiles.Input> files, final ReplayOptions options,
            final ReplayStats stats, final AtomicLong bytesRead, final TraceSink sink) {
        final List<TraceSource> sources = new ArrayList<>();
        try {
            for (final InputFiles.Input input : files) {
                final TraceSource source = openOne(input, sources.size(), options, stats, bytesRead, sink);
                if (source != null) {
                    sources.add(source);
                }
            }
            return sources;
        } catch (final RuntimeException e) {
            for (final TraceSource s : sources) {
                try {
                    s.close();
                } catch (final IOException closing) {
                    e.addSuppressed(closing);
                }
            }
            throw e;
        }
    }

    private static TraceSource openOne(final InputFiles.Input input, final int index, final ReplayOptions options,
            final ReplayStats stats, final AtomicLong bytesRead, final TraceSink sink) {
        final Path path = input.path();
        final String name = path.toString();
        final InputFiles.Opened opened;
        try {
            opened = InputFiles.open(path, bytesRead);
        } catch (final IOException e) {
            throw new UnsupportedTraceFileException(path, "cannot be read: " + e.getMessage(), e);
        }
        try {
            if (opened.head().isBlank()) {
                stats.filesNotRead.put(name, "empty");
                opened.reader().close();
                return null;
            }
            final TraceFormat format = options.format() != null ? options.format() : FormatDetector.detect(opened.head());
            if (format == null) {
                opened.reader().close();
                if (input.explicit()) {
                    throw new UnsupportedTraceFileException(path, "not a trace log in any supported format");
                }
                stats.filesNotRead.put(name, "not a trace log");
                LOG.warn("{}: not a trace log, left out", name);
                return null;
            }
            stats.files.put(name, format);
            return new TraceSource(index, name, format, reader(format, opened, name, options), options.reorderWindow(),
                    stats, rejection -> sink.reject(rejection.toDeadLetter()));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static UnitReader reader(final TraceFormat format, final InputFiles.Opened opened, final String file,
            final ReplayOptions options) throws IOException {
        if (format == TraceFormat.EXCHANGE_ONLINE_JSON) {
            return new ExchangeOnlineJsonReader(opened.reader(), file);
        }
        return new LineUnitReader(new LineReader(opened.reader()), lineParser(format, file, options));
    }

    static LineParser lineParser(final TraceFormat format, final String file, final ReplayOptions options) {
        return switch (format) {
            case EXCHANGE_MSGTRK -> new ExchangeTrackingLogParser(file);
            case EXCHANGE_ONLINE_CSV -> new ExchangeOnlineReportParser(file);
            case EXCHANGE_ONLINE_DETAIL -> new MessageTraceDetailParser(file);
            case POSTFIX -> new PostfixLogParser(file, options.referenceYear(),
                    ZonedDateTime.now(options.clock()).withZoneSameInstant(options.syslogZone()),
                    options.syslogZone(), options.maxQueueIds());
            case JSONL -> new JsonLinesParser(file);
            case EXCHANGE_ONLINE_JSON -> throw new IllegalArgumentException("not a line format: " + format.id());
        };
    }
}
