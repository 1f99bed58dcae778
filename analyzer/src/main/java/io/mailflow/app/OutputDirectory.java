package io.mailflow.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The directory {@code replay --embedded --out DIR} writes its findings to, checked before anything
 * starts: a replay may take half an hour, and finding only then that DIR is a file or may not be
 * written throws the whole run away.
 *
 * <p>A directory that already holds output files of a replay ({@code <topic>.jsonl}) is refused
 * unless {@code --force} is given; with it those files are all deleted before the new ones are
 * written, so no file of the earlier run survives next to the new ones (an earlier
 * {@code --include-traces} run's traces file would otherwise look like part of this run's output).
 */
final class OutputDirectory {
    private final Path dir;
    private final List<Path> earlierOutput;

    private OutputDirectory(final Path dir, final List<Path> earlierOutput) {
        this.dir = dir;
        this.earlierOutput = earlierOutput;
    }

    /**
     * Checks that {@code dir} is, or can be created as, a writable directory, and whether it holds
     * any of {@code outputFiles} already.
     *
     * @return what is wrong (e.g. "not a directory"), or the directory ready to be written
     */
    static Checked check(final Path dir, final Collection<String> outputFiles) {
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                return Checked.problem("not a directory");
            }
            if (!Files.isWritable(dir)) {
                return Checked.problem("permission denied (the directory is not writable)");
            }
            final List<Path> earlier = new ArrayList<>();
            outputFiles.stream().distinct().map(dir::resolve).filter(Files::exists).forEach(earlier::add);
            return new Checked(null, new OutputDirectory(dir, earlier));
        }
        final Optional<Path> existing = nearestExisting(dir.toAbsolutePath());
        if (existing.isEmpty()) {
            return Checked.problem("cannot be created");
        }
        if (!Files.isDirectory(existing.get())) {
            return Checked.problem("not a directory (" + existing.get() + " is a file)");
        }
        if (!Files.isWritable(existing.get())) {
            return Checked.problem("cannot be created: permission denied in " + existing.get());
        }
        return new Checked(null, new OutputDirectory(dir, List.of()));
    }

    private static Optional<Path> nearestExisting(final Path path) {
        Path p = path.getParent();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        return Optional.ofNullable(p);
    }

    /** Output files of an earlier replay found in the directory. */
    List<Path> earlierOutput() {
        return earlierOutput;
    }

    /** Deletes the earlier output files (with {@code --force}) and creates the directory if missing. */
    void prepare() throws IOException {
        for (final Path file : earlierOutput) {
            Files.deleteIfExists(file);
        }
        Files.createDirectories(dir);
    }

    /** The result of {@link #check}: a problem or a directory. */
    record Checked(String problem, OutputDirectory directory) {
        static Checked problem(final String why) {
            return new Checked(why, null);
        }
    }
}
