package io.mailflow.ingest;

/** A file that is not a trace log mailflow can read; the CLI prints the message and exits with code 3. */
public class TraceFormatException extends RuntimeException {
    public TraceFormatException(final String message) {
        super(message);
    }
}
