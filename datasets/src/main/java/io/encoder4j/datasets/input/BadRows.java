package io.encoder4j.datasets.input;

import io.encoder4j.core.config.ConfigException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What to do with a row that cannot be read (malformed JSON, a wrong column count, invalid UTF-8, a missing field, an
 * empty file): by default stop with one line naming the file and the line; with {@code skip_bad_rows: true} count it,
 * log the first few, and go on. Never a silent drop: {@link #logSummary} reports the total.
 */
public final class BadRows {

    private static final Logger LOG = LoggerFactory.getLogger(BadRows.class);
    private static final int LOGGED = 5;

    private final boolean skip;
    private long skipped;

    /** @param skip whether bad rows are skipped (and counted) rather than fatal */
    public BadRows(boolean skip) {
        this.skip = skip;
    }

    /** Rows that fail stop the read. */
    public static BadRows strict() {
        return new BadRows(false);
    }

    public boolean skipping() {
        return skip;
    }

    /**
     * Reports a bad row at {@code line} (1-based; 0 for the file as a whole) of {@code file}.
     *
     * @throws ConfigException unless bad rows are being skipped
     */
    public void report(Path file, long line, String problem) {
        String where = line > 0 ? file + ": line " + line + ": " : file + ": ";
        if (!skip) {
            throw new ConfigException(where + problem + " (set skip_bad_rows: true to skip such rows)");
        }
        skipped++;
        if (skipped <= LOGGED) {
            LOG.warn("Skipping bad row: {}{}", where, problem);
        }
    }

    /** Rows skipped so far. */
    public long skipped() {
        return skipped;
    }

    /** Logs how many rows were skipped, if any; {@code what} names the input. */
    public void logSummary(String what) {
        if (skipped > 0) {
            LOG.warn("Skipped {} bad row(s) in {} (skip_bad_rows: true)", skipped, what);
        }
    }
}
