package io.mailflow.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mailflow.config.MailflowConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The replay's producer never pipelines: a first batch to a partition created a moment ago can be
 * refused while the one behind it is appended, and the broker then refuses the retried first batch
 * as out of order until the delivery timeout (an embedded replay of a 9-line file hung so in 3 of
 * about 40 runs; docs/architecture.md, "Log lines you may see").
 */
@DisplayName("replay: one produce request in flight, every record exactly once and in order")
class ReplayProducerSettingsTest {
    @Test
    @DisplayName("idempotent, acks=all and one request in flight, unless the user chose how many")
    void oneRequestInFlightUnlessTheUserSaysOtherwise() {
        final var defaults = KafkaReplay.producerProperties(MailflowConfig.builder().defaults().build());
        assertEquals("1", defaults.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION));
        assertEquals("true", defaults.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals("all", defaults.get(ProducerConfig.ACKS_CONFIG));

        final var userSet = KafkaReplay.producerProperties(MailflowConfig.builder().defaults()
            .override(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5").build());
        assertEquals("5", String.valueOf(userSet.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION)));
    }
}
