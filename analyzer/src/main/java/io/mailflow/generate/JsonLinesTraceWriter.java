package io.mailflow.generate;

import io.mailflow.avro.MessageTrace;
import io.mailflow.ingest.TraceJson;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * One JSON object per line: the form people grep and {@code jq}. Written by ingest's
 * {@link TraceJson}, the same code {@code mailflow replay --format jsonl} reads with, so the
 * generator's JSON lines and the parser can never disagree.
 */
public final class JsonLinesTraceWriter implements TraceOutput {
    private final Writer out;

    public JsonLinesTraceWriter(final OutputStream out) {
        this.out = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
    }

    @Override
    public void accept(final MessageTrace trace) throws IOException {
        out.write(TraceJson.write(trace));
        out.write('\n');
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
