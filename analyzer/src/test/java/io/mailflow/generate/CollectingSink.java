package io.mailflow.generate;

import io.mailflow.avro.MessageTrace;
import java.util.ArrayList;
import java.util.List;

/** Keeps every generated record, for assertions. */
final class CollectingSink implements TraceOutput {
    final List<MessageTrace> traces = new ArrayList<>();

    @Override
    public void accept(final MessageTrace trace) {
        traces.add(trace);
    }

    @Override
    public void close() {
    }

    static List<MessageTrace> run(final GeneratorSettings settings) throws Exception {
        final CollectingSink sink = new CollectingSink();
        new TrafficGenerator(settings).generate(sink);
        return sink.traces;
    }
}
