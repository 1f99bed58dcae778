package io.mailflow.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.mailflow.avro.internal.PostfixQueueEntry;
import io.mailflow.serde.MockSchemaRegistry;
import io.mailflow.serde.SpecificAvroSerde;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("the Postfix queue context in a state store: what a line changed is written back, nothing else")
class StoredPostfixQueueTest {
    private static final long T0 = Instant.parse("2024-03-02T10:00:00Z").toEpochMilli();
    private final String scope = "stored-queue-" + UUID.randomUUID();
    private KeyValueStore<String, PostfixQueueEntry> store;
    private StoredPostfixQueue queue;

    @BeforeEach
    void open() {
        final SpecificAvroSerde<PostfixQueueEntry> serde = new SpecificAvroSerde<>(PostfixQueueEntry.class);
        serde.configure(Map.of("schema.registry.url", "mock://" + scope), false);
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("q"), Serdes.String(), serde).withLoggingDisabled().build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        queue = new StoredPostfixQueue(store, Duration.ofHours(1).toMillis());
    }

    @AfterEach
    void close() {
        store.close();
        MockSchemaRegistry.dropScope(scope);
    }

    @Test
    @DisplayName("an entry round-trips whole: sender, size, client, arrival to the nanosecond, deferred recipients in order")
    void roundTrip() {
        queue.beginLine();
        final PostfixQueue.Entry e = queue.getOrCreate("mx1/ABC");
        e.messageId = "<m@x>";
        e.sender = "a@x";
        e.size = 2048L;
        e.clientHost = "client.example";
        e.clientIp = "192.0.2.1";
        e.arrival = Instant.parse("2024-03-02T09:59:58.123456789Z");
        PostfixQueue.addPending(e, "z@y", "smtp:mx.y");
        PostfixQueue.addPending(e, "a@y", "smtp:mx.y");
        queue.endLine(T0);

        queue.beginLine();
        final PostfixQueue.Entry read = queue.get("mx1/ABC");
        assertEquals("<m@x>", read.messageId);
        assertEquals(2048L, read.size);
        assertEquals("192.0.2.1", read.clientIp);
        assertEquals(e.arrival, read.arrival);
        assertEquals(List.of("z@y", "a@y"), List.copyOf(read.pending.keySet()), "the order of the expiry records");
        assertEquals(T0, store.get("mx1/ABC").getLastSeen());
    }

    @Test
    @DisplayName("a line that only reads an entry writes nothing, unless its last-seen time is an hour old")
    void readOnlyLines() {
        queue.beginLine();
        queue.getOrCreate("mx1/ABC").sender = "a@x";
        queue.endLine(T0);
        queue.beginLine();
        queue.get("mx1/ABC");
        queue.endLine(T0 + Duration.ofMinutes(59).toMillis());
        assertEquals(T0, store.get("mx1/ABC").getLastSeen(), "read only: not written");
        queue.beginLine();
        queue.get("mx1/ABC").size = 1L;
        queue.endLine(T0 + Duration.ofMinutes(59).toMillis());
        assertEquals(T0 + Duration.ofMinutes(59).toMillis(), store.get("mx1/ABC").getLastSeen(), "changed: written");
        queue.beginLine();
        queue.get("mx1/ABC");
        queue.endLine(T0 + Duration.ofHours(2).toMillis());
        assertEquals(T0 + Duration.ofHours(2).toMillis(), store.get("mx1/ABC").getLastSeen(), "seen again after an hour: refreshed");
    }

    @Test
    @DisplayName("'removed' deletes the entry; expire deletes those last seen before the cutoff")
    void removeAndExpire() {
        queue.beginLine();
        queue.getOrCreate("mx1/A").sender = "a";
        queue.getOrCreate("mx1/B").sender = "b";
        queue.endLine(T0);
        queue.beginLine();
        queue.getOrCreate("mx1/C").sender = "c";
        queue.endLine(T0 + Duration.ofDays(2).toMillis());
        queue.beginLine();
        queue.remove("mx1/A");
        queue.endLine(T0 + Duration.ofDays(2).toMillis());
        assertNull(store.get("mx1/A"));
        assertEquals(1, queue.expire(T0 + 1));
        assertNull(store.get("mx1/B"));
        assertEquals("c", store.get("mx1/C").getSender());
    }
}
