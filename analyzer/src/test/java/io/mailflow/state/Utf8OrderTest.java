package io.mailflow.state;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("String keys compared as a Kafka store orders their UTF-8 bytes")
class Utf8OrderTest {
    /** The comparator is the store's order: unsigned UTF-8 bytes, for every well-formed pair of keys. */
    @Test
    void utf8OrderIsTheOrderOfTheSerializedKeys() {
        // around each boundary where UTF-16 and UTF-8 order part: ASCII, U+D7FF, U+E000, U+FFFF, and
        // characters past U+FFFF (surrogate pairs) with high and low first halves
        final String[] chars = {"", "a", "\u0000", "\u007f", "\u00e9", "\ud7ff", "\ue000", "\ufffd", "\uffff",
            "\ud800\udc00", "\ud83d\udce7", "\udbff\udfff"};
        final java.util.Random random = new java.util.Random(20261204);
        for (int i = 0; i < 50_000; i++) {
            final String a = chars[random.nextInt(chars.length)] + chars[random.nextInt(chars.length)] + chars[random.nextInt(chars.length)];
            final String b = chars[random.nextInt(chars.length)] + chars[random.nextInt(chars.length)] + chars[random.nextInt(chars.length)];
            final int bytes = Integer.signum(java.util.Arrays.compareUnsigned(
                a.getBytes(java.nio.charset.StandardCharsets.UTF_8), b.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertEquals(bytes, Integer.signum(Utf8Order.ORDER.compare(a, b)), () -> "order of " + a + " and " + b);
        }
    }
}
