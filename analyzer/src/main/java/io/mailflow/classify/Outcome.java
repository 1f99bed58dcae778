package io.mailflow.classify;

/** What a trace record says about one delivery attempt to one recipient. */
public enum Outcome {
    /** SEND/DELIVER with a 2.x.x reply (or none): the recipient left the queue. */
    DELIVERED,
    /** DEFER or a 4.x.x reply: the recipient stays queued and will be retried. */
    TRANSIENT_FAILURE,
    /** FAIL or a 5.x.x reply: the recipient is returned to the sender. */
    PERMANENT_FAILURE,
    /** RECEIVE, EXPAND, RESOLVE ...: not a delivery attempt. */
    NOT_AN_ATTEMPT
}
