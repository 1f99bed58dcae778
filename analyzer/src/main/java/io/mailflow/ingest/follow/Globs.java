package io.mailflow.ingest.follow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Expands the specs' globs to the regular files they match now. Each glob is walked from its
 * longest literal directory prefix, only as deep as it has path segments (unlimited with "**"),
 * so "/var/log/mail.log*" lists /var/log and nothing below it.
 */
final class Globs {
    private record Glob(String stream, PathMatcher matcher, Path base, int depth) {
    }

    private final List<Glob> globs = new ArrayList<>();

    Globs(final List<FollowSpec> specs) {
        for (final FollowSpec spec : specs) {
            for (final String pattern : spec.globs()) {
                globs.add(compile(spec.stream(), pattern));
            }
        }
    }

    /** Matching regular files, each with the stream of the first spec matching it. */
    Map<Path, String> scan() {
        final Map<Path, String> found = new LinkedHashMap<>();
        for (final Glob g : globs) {
            if (!Files.isDirectory(g.base())) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(g.base(), g.depth())) {
                walk.filter(p -> g.matcher().matches(p) && Files.isRegularFile(p))
                        .forEach(p -> found.putIfAbsent(p, g.stream()));
            } catch (final IOException | UncheckedIOException e) {
                // a directory vanished or is unreadable right now: its files count as absent this scan
            }
        }
        return found;
    }

    private static Glob compile(final String stream, final String pattern) {
        if (!pattern.startsWith("/")) {
            throw new IllegalArgumentException("stream " + stream + ": glob must be an absolute path: " + pattern);
        }
        final PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        final String[] segments = pattern.substring(1).split("/");
        int literal = 0;
        while (literal < segments.length && !hasMeta(segments[literal])) {
            literal++;
        }
        if (literal == segments.length) {
            // no wildcard at all: one file, looked up in its directory
            literal = segments.length - 1;
        }
        final Path base = Path.of("/" + String.join("/", List.of(segments).subList(0, literal)));
        boolean deep = false;
        for (int i = literal; i < segments.length; i++) {
            deep |= segments[i].contains("**");
        }
        return new Glob(stream, matcher, base, deep ? Integer.MAX_VALUE : segments.length - literal);
    }

    private static boolean hasMeta(final String segment) {
        for (final char c : segment.toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == '{' || c == '\\') {
                return true;
            }
        }
        return false;
    }
}
