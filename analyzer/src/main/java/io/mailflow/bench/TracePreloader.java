package io.mailflow.bench;

import io.mailflow.app.MailflowConfig;
import io.mailflow.generate.GenerationSummary;
import io.mailflow.generate.GeneratorSettings;
import io.mailflow.generate.KafkaTraceSink;
import io.mailflow.generate.TraceTopics;
import io.mailflow.generate.TrafficGenerator;

/** Fills a traces topic from the generator before the timed sections read it. */
final class TracePreloader {
    private TracePreloader() {
    }

    /** What was loaded and how fast (generation and producing together). */
    record Loaded(GenerationSummary summary, double seconds) {
        double recordsPerSecond() {
            return summary.records() / seconds;
        }
    }

    static Loaded load(final MailflowConfig config, final GeneratorSettings traffic) throws Exception {
        final long t0 = System.nanoTime();
        final GenerationSummary summary;
        final KafkaTraceSink sink = new KafkaTraceSink(TraceTopics.producer(config), config.get("mailflow.topic.traces"), true);
        try (sink) {
            summary = new TrafficGenerator(traffic).generate(sink);
        }
        final double seconds = (System.nanoTime() - t0) / 1e9;
        if (sink.acknowledged() != summary.records()) {
            throw new IllegalStateException("Only " + sink.acknowledged() + " of " + summary.records() + " records were acknowledged");
        }
        return new Loaded(summary, seconds);
    }
}
