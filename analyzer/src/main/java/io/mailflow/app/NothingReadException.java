package io.mailflow.app;

import java.util.Map;

/**
 * A replay went through, but of some file it was given not a single record could be read (an
 * Exchange log without its #Fields header, a wrong {@code --format}): every line became a dead
 * letter. Such a run must not look successful; the CLI exits with {@link ExitCodes#BAD_INPUT}
 * after the dead letters (and with {@code --out} the output files) are written.
 */
final class NothingReadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NothingReadException(final Map<String, String> files) {
        super(message(files));
    }

    private static String message(final Map<String, String> files) {
        final StringBuilder sb = new StringBuilder();
        files.forEach((file, why) -> sb.append(sb.length() == 0 ? "" : "\n")
            .append(file).append(": not a single record could be read (").append(why).append(")"));
        return sb.toString();
    }
}
