package io.mailflow.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateRouterTest {
    @Test
    @DisplayName("a query that reaches an instance shutting down gets 503 (try another), not 500")
    void anInstanceShuttingDownAnswers503(@TempDir final Path stateDir) {
        final StreamsBuilder builder = new StreamsBuilder();
        builder.table("t", Materialized.as("s"));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "state-router-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"); // never contacted: the client is closed unstarted
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        final KafkaStreams streams = new KafkaStreams(builder.build(), props);
        streams.close(); // Kafka's metadata calls now throw IllegalStateException ("KafkaStreams is not running")
        final StateRouter router = new StateRouter(streams, new HostInfo("127.0.0.1", 1), null, null);
        final QueryException e = assertThrows(QueryException.class, () -> router.partitionOf("s", "key"));
        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("NOT_RUNNING"), e.getMessage());
    }
}
