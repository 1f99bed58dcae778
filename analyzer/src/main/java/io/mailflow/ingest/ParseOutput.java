package io.mailflow.ingest;

import io.mailflow.avro.MessageTrace;

/** What a parser makes of one input line: records, a counted skip, or a rejection. */
interface ParseOutput {
    void record(MessageTrace trace);

    /** A line that is valid input but not a trace event (TLS notice, SASL, anvil ...). */
    void skip(String reason);

    /** A line that should have been a trace event but cannot be read. */
    void reject(String reason);
}
