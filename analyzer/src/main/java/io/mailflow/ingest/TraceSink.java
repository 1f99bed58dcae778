package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.MessageTrace;

/** Where a replay sends its records (in event-time order) and its rejected lines. */
public interface TraceSink {
    /** @param key the message key ({@link MessageKeys#of}) */
    void accept(String key, MessageTrace trace);

    void reject(DeadLetter deadLetter);

    /** Called once at the end of a replay; blocks until everything accepted is delivered. */
    default void flush() {
    }

    /** Records or dead letters the sink failed to deliver so far. */
    default long failures() {
        return 0;
    }
}
