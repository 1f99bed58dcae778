package io.mailflow.ingest;

/**
 * An input that has been recognised but not opened yet. A log directory may hold hundreds of
 * rotated files; the merge opens each one only when the replay reaches the event time of its
 * first record, and closes it when it is exhausted, so only the files that overlap in time are
 * open (and hold a reorder buffer) at once. A file that is sorted before the merge is due at the
 * start ({@link ExportSorter}).
 *
 * @param firstEventTime the earliest event time among the records in the file's first
 *                       {@value FormatDetector#HEAD_BYTES} bytes; Long.MIN_VALUE when none was
 *                       found there (the file is then opened at the start)
 */
record PendingSource(int index, String file, long firstEventTime, Opener opener) {
    /** Opens the file for the merge. */
    interface Opener {
        RecordSource open();
    }
}
