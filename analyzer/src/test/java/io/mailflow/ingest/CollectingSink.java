package io.mailflow.ingest;

import io.mailflow.avro.DeadLetter;
import io.mailflow.avro.EventType;
import io.mailflow.avro.MessageTrace;
import java.util.ArrayList;
import java.util.List;

/** Keeps what a replay sends, in order. */
final class CollectingSink implements TraceSink {
    record Keyed(String key, MessageTrace trace) {
    }

    final List<Keyed> records = new ArrayList<>();
    final List<DeadLetter> deadLetters = new ArrayList<>();
    int flushes;

    @Override
    public void accept(final String key, final MessageTrace trace) {
        records.add(new Keyed(key, trace));
    }

    @Override
    public void reject(final DeadLetter deadLetter) {
        deadLetters.add(deadLetter);
    }

    @Override
    public void flush() {
        flushes++;
    }

    List<MessageTrace> traces() {
        return records.stream().map(Keyed::trace).toList();
    }

    List<MessageTrace> ofType(final EventType type) {
        return traces().stream().filter(t -> t.getEventType() == type).toList();
    }

    /** The record read from this line (exactly one expected). */
    MessageTrace atLine(final long line) {
        final List<MessageTrace> found = atLines(line);
        if (found.size() != 1) {
            throw new AssertionError("expected one record from line " + line + ", got " + found.size());
        }
        return found.get(0);
    }

    List<MessageTrace> atLines(final long line) {
        return traces().stream().filter(t -> t.getProvenance().getLine() == line).toList();
    }

    List<Long> rejectedLines() {
        return deadLetters.stream()
                .map(d -> Long.parseLong(d.getSource().substring(d.getSource().lastIndexOf(':') + 1)))
                .toList();
    }
}
