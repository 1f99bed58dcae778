package io.mailflow.ingest;

import java.io.IOException;

/**
 * One input file as the merge sees it: its records in event-time order, one at a time. A
 * {@link TraceSource} streams a log through its reorder buffer; a {@link SortedSource} hands out
 * an export after sorting all of it.
 */
interface RecordSource extends AutoCloseable {
    /** The next record, or null when the file is exhausted. */
    SourcedTrace next();

    String file();

    @Override
    void close() throws IOException;
}
