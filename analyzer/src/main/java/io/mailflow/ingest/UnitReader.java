package io.mailflow.ingest;

import java.io.IOException;

/**
 * Reads a file one unit at a time (a line, or one JSON object of a document) and hands the unit
 * to its parser. Before each unit it tells the {@link TraceSource} the unit's line and raw text
 * so records, skips and rejections can be attributed.
 */
interface UnitReader extends AutoCloseable {
    /** @return false at end of input */
    boolean next(TraceSource.Unit unit) throws IOException;

    @Override
    void close() throws IOException;
}
