package io.mailflow.ingest;

/** JSON lines of MessageTrace (see {@link TraceJson}). */
final class JsonLinesParser implements LineParser {
    private final String file;

    JsonLinesParser(final String file) {
        this.file = file;
    }

    @Override
    public void parse(final String line, final long lineNumber, final ParseOutput out) {
        if (line.isBlank()) {
            out.skip("blank line");
            return;
        }
        try {
            out.record(TraceJson.read(line, file, lineNumber));
        } catch (final IllegalArgumentException e) {
            out.reject(e.getMessage());
        }
    }
}
