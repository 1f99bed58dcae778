package io.mailflow.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The public contract stays BACKWARD compatible: for every schema of every released version under
 * src/test/resources/released/, today's schema of the same name must read data written with it
 * (Avro's own resolution rules, as the schema registry checks them). A field added without a
 * default, a removed enum symbol or a changed type fails here, not in a consumer.
 */
class ReleasedSchemasCompatibilityTest {
    private static final Path CURRENT = Path.of(System.getProperty("mailflow.schemas.dir", "src/main/avro"));
    private static final Path RELEASED = CURRENT.resolve("../../test/resources/released").normalize();

    @TestFactory
    @DisplayName("today's schemas read data written with every released schema")
    Stream<DynamicTest> currentReadsReleased() {
        final Map<String, Schema> current = parseAll(CURRENT);
        final List<DynamicTest> tests = new ArrayList<>();
        for (final Path release : releases()) {
            for (final Map.Entry<String, Schema> released : parseAll(release).entrySet()) {
                tests.add(DynamicTest.dynamicTest(release.getFileName() + " " + released.getKey(), () -> {
                    final Schema now = current.get(released.getKey());
                    assertTrue(now != null, released.getKey() + " was released in " + release.getFileName()
                        + " and must not disappear from " + CURRENT);
                    final SchemaCompatibility.SchemaPairCompatibility result = readCompatibility(now, released.getValue());
                    assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE, result.getType(),
                        () -> released.getKey() + " can no longer read data written with release " + release.getFileName()
                            + ": " + result.getResult().getIncompatibilities());
                }));
            }
        }
        return tests.stream();
    }

    @Test
    @DisplayName("the check itself catches a new field without default and a removed enum symbol")
    void checkCatchesBreakingChanges() {
        final Schema released = new Schema.Parser().parse("""
            {"type":"record","name":"T","fields":[
              {"name":"a","type":"string"},
              {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}""");
        final Schema withDefault = new Schema.Parser().parse("""
            {"type":"record","name":"T","fields":[
              {"name":"a","type":"string"},
              {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y","Z"]}},
              {"name":"b","type":["null","string"],"default":null}]}""");
        final Schema withoutDefault = new Schema.Parser().parse("""
            {"type":"record","name":"T","fields":[
              {"name":"a","type":"string"},
              {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
              {"name":"b","type":"string"}]}""");
        final Schema symbolRemoved = new Schema.Parser().parse("""
            {"type":"record","name":"T","fields":[
              {"name":"a","type":"string"},
              {"name":"e","type":{"type":"enum","name":"E","symbols":["X"]}}]}""");
        assertEquals(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE, readCompatibility(withDefault, released).getType());
        assertEquals(SchemaCompatibility.SchemaCompatibilityType.INCOMPATIBLE,
            readCompatibility(withoutDefault, released).getType());
        assertEquals(SchemaCompatibility.SchemaCompatibilityType.INCOMPATIBLE,
            readCompatibility(symbolRemoved, released).getType());
    }

    @Test
    @DisplayName("there is at least one release to compare with, holding every public record")
    void releasesExist() {
        assertFalse(releases().isEmpty(), "no released schemas under " + RELEASED);
        final Map<String, Schema> first = parseAll(releases().get(0));
        for (final String record : List.of("io.mailflow.avro.MessageTrace", "io.mailflow.avro.ConnectorAlert",
            "io.mailflow.avro.NonDeliveryReport", "io.mailflow.avro.DelayNotice", "io.mailflow.avro.ConnectorStats",
            "io.mailflow.avro.DeadLetter")) {
            assertTrue(first.containsKey(record), record + " missing from " + releases().get(0));
        }
    }

    private static SchemaCompatibility.SchemaPairCompatibility readCompatibility(final Schema reader, final Schema writer) {
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    }

    private static List<Path> releases() {
        try (Stream<Path> dirs = Files.list(RELEASED)) {
            return dirs.filter(Files::isDirectory).sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Every named schema defined in the .avsc files under dir, by full name; the shared types in
     * common/ first, as the avro-maven-plugin imports them, so the records that use them resolve.
     */
    static Map<String, Schema> parseAll(final Path dir) {
        final List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(f -> f.toString().endsWith(".avsc"))
                .sorted(Comparator.comparing((Path f) -> !dir.relativize(f).startsWith("common")).thenComparing(Path::toString))
                .toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final Schema.Parser parser = new Schema.Parser();
        final Map<String, Schema> schemas = new LinkedHashMap<>();
        for (final Path file : files) {
            try {
                final Schema schema = parser.parse(Files.readString(file));
                schemas.put(schema.getFullName(), schema);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return schemas;
    }
}
