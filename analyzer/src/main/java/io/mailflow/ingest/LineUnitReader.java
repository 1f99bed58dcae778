package io.mailflow.ingest;

import java.io.IOException;

/** A line-oriented format: one line per unit. */
final class LineUnitReader implements UnitReader {
    private final LineReader lines;
    private final LineParser parser;

    LineUnitReader(final LineReader lines, final LineParser parser) {
        this.lines = lines;
        this.parser = parser;
    }

    @Override
    public boolean next(final TraceSource.Unit unit) throws IOException {
        final String line = lines.readLine();
        if (line == null) {
            return false;
        }
        unit.begin(lines.lineNumber(), line);
        if (lines.lastLineTruncated()) {
            unit.reject("line longer than " + LineReader.DEFAULT_MAX_LINE_CHARS + " characters");
        } else {
            try {
                parser.parse(line, lines.lineNumber(), unit);
            } catch (final RuntimeException e) {
                // a parser bug on one odd line must not end the replay: the line becomes a dead letter
                unit.reject("parser failed: " + e);
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        lines.close();
    }
}
