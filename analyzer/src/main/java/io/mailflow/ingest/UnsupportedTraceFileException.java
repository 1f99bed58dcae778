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

    /** A path that names nothing readable (missing, permission denied): a usage error, like a mistyped option. */
    public static final int PATH_EXIT_CODE = 2;

    private final transient Path file;
    private final int exitCode;

    public UnsupportedTraceFileException(final Path file, final String why) {
        super(file + ": " + why + "\nExpected one of these trace formats:\n" + TraceFormat.describeAll());
        this.file = file;
        this.exitCode = EXIT_CODE;
    }

    public UnsupportedTraceFileException(final Path file, final String why, final Throwable cause) {
        super(file + ": " + why + "\nExpected one of these trace formats:\n" + TraceFormat.describeAll(), cause);
        this.file = file;
        this.exitCode = EXIT_CODE;
    }

    private UnsupportedTraceFileException(final Path file, final String message, final int exitCode) {
        super(message);
        this.file = file;
        this.exitCode = exitCode;
    }

    /**
     * The path itself is the problem, not the format: it does not exist, is not a file or
     * directory, or may not be read. The message says which, without the list of formats.
     */
    static UnsupportedTraceFileException unreadablePath(final Path file, final String why) {
        return new UnsupportedTraceFileException(file, file + ": " + why, PATH_EXIT_CODE);
    }

    /** What an I/O error opening {@code file} means to a user: "no such file", "permission denied", or the error. */
    static UnsupportedTraceFileException cannotOpen(final Path file, final java.io.IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return unreadablePath(file, "no such file or directory");
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return unreadablePath(file, "permission denied");
        }
        return new UnsupportedTraceFileException(file, file + ": cannot be read: " + e.getMessage(), EXIT_CODE);
    }

    /**
     * A file of a recognised format whose dates cannot be read unambiguously (their day/month order
     * is undecided or contradictory, or none is readable): the message says why and what to give,
     * without the list of formats.
     */
    static UnsupportedTraceFileException unreadableDates(final Path file, final String why) {
        return new UnsupportedTraceFileException(file, file + ": " + why, EXIT_CODE);
    }

    /** {@link #PATH_EXIT_CODE} when the path is the problem, {@link #EXIT_CODE} when the content is. */
    public int exitCode() {
        return exitCode;
    }

    public Path file() {
        return file;
    }
}
