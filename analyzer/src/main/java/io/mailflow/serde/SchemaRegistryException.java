package io.mailflow.serde;

/**
 * A registry error with the registry's own {@code error_code} (e.g. 40401 subject not found,
 * 40403 schema not found, 409 incompatible) and message, so users see what the registry said.
 */
public class SchemaRegistryException extends RuntimeException {
    private final int status;
    private final int errorCode;

    public SchemaRegistryException(final int status, final int errorCode, final String message) {
        super(message + " (HTTP " + status + ", error_code " + errorCode + ")");
        this.status = status;
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(final String message, final Throwable cause) {
        super(message, cause);
        this.status = -1;
        this.errorCode = -1;
    }

    /** HTTP status, or -1 when the registry could not be reached. */
    public int status() {
        return status;
    }

    /**
     * A fault of the registry, not of the request: it could not be reached, timed out, was
     * overloaded (429) or failed inside (5xx). Worth retrying; never a property of a record.
     */
    public boolean isTransient() {
        return status == -1 || status == 429 || status >= 500;
    }

    /** The registry's error_code, or -1 when the registry could not be reached. */
    public int errorCode() {
        return errorCode;
    }
}
