package io.encoder4j.datasets.prepare;

import java.io.Serializable;

/**
 * What the manifest records about the rows of one split: rows, tokens (frame tokens included), truncated examples and
 * the count of every token id (for the unigram baseline). Shards are counted separately and {@link #merge merged};
 * every count is an integer, so the totals do not depend on how the rows were divided.
 */
public final class SplitStats implements Serializable {

    private static final long serialVersionUID = 1L;

    private long rows;
    private long tokens;
    private long truncated;
    private final long[] counts;

    /** Empty statistics for a vocabulary of {@code vocab} ids. */
    public SplitStats(int vocab) {
        counts = new long[vocab];
    }

    /** Counts one row: its first {@code length} ids, truncated or not. */
    void add(int[] row, int length, boolean truncatedRow) {
        rows++;
        tokens += length;
        truncated += truncatedRow ? 1 : 0;
        for (int i = 0; i < length; i++) {
            counts[row[i]]++;
        }
    }

    /** Adds {@code other}'s counts to these; returns this. */
    public SplitStats merge(SplitStats other) {
        if (other.counts.length != counts.length) {
            throw new IllegalArgumentException("vocabulary sizes differ: " + counts.length + " and "
                    + other.counts.length);
        }
        rows += other.rows;
        tokens += other.tokens;
        truncated += other.truncated;
        for (int i = 0; i < counts.length; i++) {
            counts[i] += other.counts[i];
        }
        return this;
    }

    public long rows() {
        return rows;
    }

    public long tokens() {
        return tokens;
    }

    public long truncated() {
        return truncated;
    }

    /** The count of every id (the array itself). */
    long[] counts() {
        return counts;
    }
}
