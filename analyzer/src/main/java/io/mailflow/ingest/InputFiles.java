package io.mailflow.ingest;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/** Expands directories and opens files, decompressing gzip by its magic bytes. */
final class InputFiles {
    /** A file to replay; {@code explicit} when named on the command line rather than found in a directory. */
    record Input(Path path, boolean explicit, long size) {
    }

    /** An opened input: a reader over its (decompressed) text and the head the detector looks at. */
    record Opened(Reader reader, String head) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    private InputFiles() {
    }

    /** Files as given, directories walked recursively in sorted order (hidden files left out). */
    static List<Input> expand(final List<Path> inputs) {
        final List<Input> out = new ArrayList<>();
        for (final Path p : inputs) {
            if (Files.isDirectory(p)) {
                if (!Files.isReadable(p)) {
                    throw UnsupportedTraceFileException.unreadablePath(p, "permission denied");
                }
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().startsWith("."))
                            .sorted()
                            .forEach(f -> out.add(new Input(f, false, sizeOf(f))));
                } catch (final IOException e) {
                    throw UnsupportedTraceFileException.cannotOpen(p, e);
                } catch (final java.io.UncheckedIOException e) {
                    // a subdirectory that may not be listed
                    throw UnsupportedTraceFileException.cannotOpen(
                            e.getCause() instanceof java.nio.file.FileSystemException fs && fs.getFile() != null
                                    ? Path.of(fs.getFile()) : p, e.getCause());
                }
            } else if (Files.isRegularFile(p)) {
                out.add(new Input(p, true, sizeOf(p)));
            } else if (Files.exists(p)) {
                throw UnsupportedTraceFileException.unreadablePath(p, "not a regular file or directory");
            } else {
                throw UnsupportedTraceFileException.unreadablePath(p, "no such file or directory");
            }
        }
        return out;
    }

    /**
     * UTF-16 when the file starts with a UTF-16 byte order mark (Exchange Online report downloads
     * and PowerShell 5 Export-Csv write UTF-16), else UTF-8 (its BOM is dropped by {@link LineReader}).
     */
    static Charset charset(final byte[] head) {
        if (head.length >= 2 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xfe) {
            return StandardCharsets.UTF_16LE;
        }
        if (head.length >= 2 && (head[0] & 0xff) == 0xfe && (head[1] & 0xff) == 0xff) {
            return StandardCharsets.UTF_16BE;
        }
        return StandardCharsets.UTF_8;
    }

    private static long sizeOf(final Path p) {
        try {
            return Files.size(p);
        } catch (final IOException e) {
            return 0;
        }
    }

    /**
     * Opens the file; bytesRead counts raw (compressed) bytes, for progress against file sizes.
     * With {@code headBytes} > 0 the returned head holds the first bytes of text for detection.
     */
    static Opened open(final Path path, final AtomicLong bytesRead, final int headBytes) throws IOException {
        final InputStream counting = new FilterInputStream(Files.newInputStream(path)) {
            @Override
            public int read() throws IOException {
                final int b = super.read();
                if (b >= 0) {
                    bytesRead.incrementAndGet();
                }
                return b;
            }

            @Override
            public int read(final byte[] buf, final int off, final int len) throws IOException {
                final int n = super.read(buf, off, len);
                if (n > 0) {
                    bytesRead.addAndGet(n);
                }
                return n;
            }
        };
        BufferedInputStream in = new BufferedInputStream(counting, 16 * 1024);
        try {
            in.mark(2);
            final int b1 = in.read();
            final int b2 = in.read();
            in.reset();
            if (b1 == 0x1f && b2 == 0x8b) {
                in = new BufferedInputStream(new GZIPInputStream(in, 16 * 1024), 16 * 1024);
            }
            // the charset needs the BOM even when no head is wanted
            final int want = Math.max(headBytes, 4);
            in.mark(want + 1);
            final byte[] head = in.readNBytes(want);
            in.reset();
            final Charset charset = charset(head);
            return new Opened(new InputStreamReader(in, charset), headBytes > 0 ? new String(head, charset) : "");
        } catch (final IOException | RuntimeException e) {
            in.close();
            throw e;
        }
    }
}
