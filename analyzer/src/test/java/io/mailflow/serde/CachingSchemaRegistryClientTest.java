package io.mailflow.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The cache in front of the REST client, measured by the requests a counting fake registry receives. */
class CachingSchemaRegistryClientTest {
    private static final Schema V1 = SchemaBuilder.record("Stats").namespace("test").fields()
        .requiredLong("count").endRecord();
    private static final Schema V2 = SchemaBuilder.record("Stats").namespace("test").fields()
        .requiredLong("count").name("failed").type().longType().longDefault(0).endRecord();

    private FakeRegistryServer server;
    private final AtomicLong nanos = new AtomicLong();

    @BeforeEach
    void startServer() throws IOException {
        server = FakeRegistryServer.start();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private CachingSchemaRegistryClient cached(final Duration latestTtl) {
        return new CachingSchemaRegistryClient(
            RestSchemaRegistryClient.fromConfig(Map.of(SerdeConfig.SCHEMA_REGISTRY_URL, server.url().toString())),
            latestTtl, nanos::get);
    }

    @Test
    @DisplayName("a schema is fetched by id once; a registered schema is never fetched at all")
    void schemaByIdOnce() {
        final int id = server.backing().register("t-value", V1);
        final CachingSchemaRegistryClient client = cached(null);
        for (int i = 0; i < 5; i++) {
            assertEquals(V1, client.getById(id));
        }
        assertEquals(1, server.count("GET /schemas/ids/{}"));

        final int v2 = client.register("t-value", V2);
        assertEquals(V2, client.getById(v2));
        assertEquals(1, server.count("GET /schemas/ids/{}"));
    }

    @Test
    @DisplayName("register and lookup hit the registry once per subject and schema, and share their answers")
    void registerOncePerSubjectAndSchema() {
        final CachingSchemaRegistryClient client = cached(null);
        final int id = client.register("a-value", V1);
        for (int i = 0; i < 5; i++) {
            assertEquals(id, client.register("a-value", V1));
            assertEquals(id, client.getId("a-value", V1));
        }
        assertEquals(1, server.count("POST /subjects/{}/versions"));
        assertEquals(0, server.count("POST /subjects/{}"));

        // another subject is another registration, even for the same schema (and gets the same id)
        assertEquals(id, client.register("b-value", V1));
        assertEquals(2, server.count("POST /subjects/{}/versions"));
    }

    @Test
    @DisplayName("an equal schema built separately finds the cached id")
    void equalSchemasShareEntries() {
        final CachingSchemaRegistryClient client = cached(null);
        client.register("a-value", V1);
        client.register("a-value", new Schema.Parser().parse(V1.toString()));
        assertEquals(1, server.count("POST /subjects/{}/versions"));
    }

    @Test
    @DisplayName("the latest version is cached for latest.cache.ttl.sec, then fetched again")
    void latestHonoursTtl() {
        server.backing().register("t-value", V1);
        final CachingSchemaRegistryClient client = cached(Duration.ofSeconds(30));
        assertEquals(1, client.getLatest("t-value").version());
        server.backing().register("t-value", V2);
        nanos.addAndGet(Duration.ofSeconds(29).toNanos());
        assertEquals(1, client.getLatest("t-value").version(), "still within the TTL");
        assertEquals(1, server.count("GET /subjects/{}/versions/latest"));
        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        assertEquals(2, client.getLatest("t-value").version(), "TTL passed");
        assertEquals(2, server.count("GET /subjects/{}/versions/latest"));
    }

    @Test
    @DisplayName("latest.cache.ttl.sec: unset or negative caches until restart, 0 does not cache")
    void ttlConfiguration() {
        assertEquals(null, CachingSchemaRegistryClient.latestTtl(Map.of()));
        assertEquals(null, CachingSchemaRegistryClient.latestTtl(Map.of(SerdeConfig.LATEST_CACHE_TTL_SEC, "-1")));
        assertEquals(Duration.ofSeconds(60), CachingSchemaRegistryClient.latestTtl(Map.of(SerdeConfig.LATEST_CACHE_TTL_SEC, 60)));

        server.backing().register("t-value", V1);
        final CachingSchemaRegistryClient uncached = cached(Duration.ZERO);
        uncached.getLatest("t-value");
        uncached.getLatest("t-value");
        assertEquals(2, server.count("GET /subjects/{}/versions/latest"));

        final CachingSchemaRegistryClient forever = cached(null);
        forever.getLatest("t-value");
        nanos.addAndGet(Duration.ofDays(365).toNanos());
        forever.getLatest("t-value");
        assertEquals(3, server.count("GET /subjects/{}/versions/latest"));
    }

    @Test
    @DisplayName("registering through the cache forgets the subject's cached latest version")
    void registerRefreshesLatest() {
        final CachingSchemaRegistryClient client = cached(null);
        client.register("t-value", V1);
        assertEquals(1, client.getLatest("t-value").version());
        client.register("t-value", V2);
        assertEquals(2, client.getLatest("t-value").version());
    }

    @Test
    @DisplayName("errors are not cached: a schema registered later is then found")
    void errorsAreNotCached() {
        final CachingSchemaRegistryClient client = cached(null);
        assertThrows(SchemaRegistryException.class, () -> client.getId("t-value", V1));
        server.backing().register("t-value", V1);
        client.getId("t-value", V1);
        assertEquals(2, server.count("POST /subjects/{}"));
    }

    @Test
    @DisplayName("compatibility checks and config always go to the registry")
    void configIsNotCached() {
        final CachingSchemaRegistryClient client = cached(null);
        client.getCompatibility(null);
        client.getCompatibility(null);
        assertEquals(2, server.count("GET /config"));
    }

    @Test
    @DisplayName("many threads reading the same ids get the same answers and few requests")
    void threadSafe() throws Exception {
        final List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(server.backing().register("s" + i + "-value",
                SchemaBuilder.record("R" + i).fields().requiredInt("f").endRecord()));
        }
        final CachingSchemaRegistryClient client = cached(null);
        final ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            final List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    for (int round = 0; round < 50; round++) {
                        for (int i = 0; i < ids.size(); i++) {
                            if (!client.getById(ids.get(i)).getName().equals("R" + i)) {
                                return false;
                            }
                        }
                    }
                    return true;
                }));
            }
            for (final Future<Boolean> result : results) {
                assertEquals(true, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
        // a race may fetch an id more than once, but never once per call (8 threads x 50 rounds = 400 per id)
        final int fetched = server.count("GET /schemas/ids/{}");
        assertEquals(true, fetched >= 10 && fetched <= 10 * 8, "fetched " + fetched);
    }
}
