package io.mailflow.ingest;

import java.nio.file.Path;

/**
 * A file given to replay is not a trace log in any format we read (or cannot be opened), or is a
 * trace log whose dates cannot be read unambiguously. The CLI prints {@link #getMessage()} and
 * exits with code {@link #EXIT_CODE}.
 */
public final class UnsupportedTraceFileException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    public static final int EXIT_CODE = 3;

    private final transient Path file;

    public UnsupportedTraceFileException(final Path file, final String why) {
        super(file + ": " + why + "\nExpected one of these trace formats:\n" + TraceFormat.describeAll());
        this.file = file;
    }

    public UnsupportedTraceFileException(final Path file, final String why, final Throwable cause) {
        super(file + ": " + why + "\nExpected one of these trace formats:\n" + TraceFormat.describeAll(), cause);
        this.file = file;
    }

    private UnsupportedTraceFileException(final Path file, final String message, final boolean unused) {
        super(message);
        this.file = file;
    }

    /**
     * A file of a recognised format whose dates cannot be read unambiguously (their day/month order
     * is undecided or contradictory, or none is readable): the message says why and what to give,
     * without the list of formats.
     */
    static UnsupportedTraceFileException unreadableDates(final Path file, final String why) {
        return new UnsupportedTraceFileException(file, file + ": " + why, false);
    }

    public Path file() {
        return file;
    }
}
