package io.mailflow.generate;

/** Permanent (5.x.x) rejections of single recipients: they fail at once and are never retried. */
public enum PermanentFailure {
    /** The destination does not know the recipient (5.1.1). */
    UNKNOWN_RECIPIENT("5.1.1"),
    /** The destination refuses the message by policy (5.7.1). */
    POLICY_REJECTION("5.7.1");

    private final String code;

    PermanentFailure(final String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
