package io.mailflow.ingest;

/** Parses one file of a line-oriented format; one instance per file, so it may keep state. */
interface LineParser {
    void parse(String line, long lineNumber, ParseOutput out);
}
