package io.mailflow.bench;

import io.mailflow.config.MailflowConfig;
import io.mailflow.generate.GenerationSummary;
import io.mailflow.generate.GeneratorSettings;
import io.mailflow.generate.KafkaTraceOutput;
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
        final KafkaTraceOutput output = new KafkaTraceOutput(TraceTopics.producer(config), config.get("mailflow.topic.traces"));
        try (output) {
            summary = new TrafficGenerator(traffic).generate(output);
        }
        final double seconds = (System.nanoTime() - t0) / 1e9;
        if (output.acknowledged() != summary.records()) {
            throw new IllegalStateException("Only " + output.acknowledged() + " of " + summary.records() + " records were acknowledged");
        }
        return new Loaded(summary, seconds);
    }
}
