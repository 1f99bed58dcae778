package io.mailflow.ingest.follow;

import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * A file as one scan saw it: where, which inode, how big, whether gzip (by its magic bytes, as
 * the replay's InputFiles decides), and its head: the first min(size, 1024) bytes of its
 * (decompressed) content. {@code headComplete} is false for a .gz that ends before its head
 * could be decompressed (gzip still writing it): such a file is left for a later scan.
 */
record Observed(Path path, String stream, String inode, long size, FileTime modified, boolean gz, byte[] head,
        boolean headComplete) {
}
