package io.mailflow.query;

/** A request the API answers with an error status and one clear sentence ({@code {"error": "..."}}). */
public final class QueryException extends RuntimeException {
    private final int status;

    public QueryException(final int status, final String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
