package io.mailflow.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * Who sent a trace, and where it stands in what that sender sent: the identity that lets the
 * analyzer skip what a repeated or resumed replay sends again.
 *
 * <p>A replay of the same files with the same options sends the same records to the same
 * partitions in the same order (the README's byte-identical promise). So a replay run is named by
 * a digest of its input files' bytes and of the options that shape records, and every record it
 * sends to the traces topic (traces and progress markers) carries the header {@link #HEADER} =
 * {@code <run id>:<n>}, n counting that run's records per partition from 0. The analyzer keeps, per
 * traces partition and run, the next n it expects, and ignores a record below it: the run was
 * analysed up to there already ({@code ReplayRepeats}). A replay that failed half way, run again,
 * is analysed exactly once; the same files replayed twice change nothing the second time.
 */
public final class ReplayRun {
    /** Header on every record a replay sends to the traces topic: {@code <run id>:<position in its partition>}. */
    public static final String HEADER = "mailflow.replay";

    private ReplayRun() {
    }

    /**
     * The run id of a replay of {@code inputs} (files or directories, as given to the replay) with
     * {@code options}: 16 hex digits of a SHA-256 over each file's name and bytes, in the order
     * the replay reads them, and the options that change which records are sent.
     */
    public static String idOf(final List<Path> inputs, final ReplayOptions options) {
        final MessageDigest sha = sha256();
        for (final InputFiles.Input input : InputFiles.expand(inputs)) {
            final Path path = input.path();
            sha.update(String.valueOf(path.getFileName()).getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            try (InputStream in = Files.newInputStream(path)) {
                final byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                }
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot read " + path, e);
            }
            sha.update((byte) 0);
        }
        // what shapes the records; not speed, progress or sort buffer (same records either way)
        sha.update(String.join("|", String.valueOf(options.format()), String.valueOf(options.referenceYear()),
            String.valueOf(options.syslogZone()), Integer.toString(options.reorderWindow()), Integer.toString(options.maxQueueIds()),
            String.valueOf(options.dateOrder()), String.valueOf(options.sort().mode())).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }

    /**
     * {@link #idOf} on a thread of its own, started now: the digest reads every input file (about
     * 0.6 s for 65 MB with the quick compiler, which has no SHA intrinsic), so an embedded replay
     * reads them while its broker starts instead of after.
     */
    public static Future<String> idInBackground(final List<Path> inputs, final ReplayOptions options) {
        final FutureTask<String> id = new FutureTask<>(() -> idOf(inputs, options));
        final Thread thread = new Thread(id, "mailflow-replay-run-id");
        thread.setDaemon(true); // never keeps a failed or interrupted replay's JVM alive
        thread.start();
        return id;
    }

    /** The id {@link #idInBackground} computes, once it is there; its failure is thrown as {@link #idOf} throws it. */
    public static String await(final Future<String> id) throws InterruptedException {
        try {
            return id.get();
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The header value of a run's record at {@code position} in its partition. */
    public static byte[] header(final String runId, final long position) {
        return (runId + ":" + position).getBytes(StandardCharsets.US_ASCII);
    }

    /** A parsed header: the run and the record's position in its partition. */
    public record Position(String runId, long position) {
        /** The header's run and position; null when the value is not {@code <run id>:<n>}. */
        public static Position parse(final byte[] value) {
            if (value == null) {
                return null;
            }
            final String text = new String(value, StandardCharsets.US_ASCII);
            final int colon = text.lastIndexOf(':');
            if (colon <= 0) {
                return null;
            }
            try {
                return new Position(text.substring(0, colon), Long.parseLong(text.substring(colon + 1)));
            } catch (final NumberFormatException e) {
                return null;
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JRE", e);
        }
    }
}
