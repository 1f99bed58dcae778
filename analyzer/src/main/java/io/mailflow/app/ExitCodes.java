package io.mailflow.app;

/** Process exit codes, documented in the README. */
public final class ExitCodes {
    public static final int OK = 0;
    /** The analyzer or a Kafka operation failed at run time. */
    public static final int RUNTIME_FAILURE = 1;
    /** Wrong flags or configuration. */
    public static final int USAGE = 2;
    /** An input file is not a trace log mailflow can read. */
    public static final int BAD_INPUT = 3;
    /** Stopped by Ctrl-C / SIGINT before the work was done. */
    public static final int INTERRUPTED = 130;

    private ExitCodes() {
    }
}
