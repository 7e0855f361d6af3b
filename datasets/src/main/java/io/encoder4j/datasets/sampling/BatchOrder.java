package io.encoder4j.datasets.sampling;

/**
 * Which rows make up batch {@code k} of a run: a pure function of {@code (seed, k)}. Epoch {@code e} visits the rows in
 * its own seeded {@link RandomPermutation} (or in order when not shuffling), so the batches of an interrupted and
 * resumed run are exactly those of an uninterrupted one, and finding batch {@code k} costs O(batch size) whatever
 * {@code k} is: the resume cursor is just the index of the next batch ({@link DataCursor}).
 *
 * <p>With {@code dropLast} each epoch has {@code rows / batchSize} full batches and the remainder is left out of that
 * epoch (a different remainder each epoch when shuffling); without it the last batch of an epoch is smaller.
 */
public final class BatchOrder {

    private final long rows;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long batchesPerEpoch;
    private long cachedEpoch = -1;
    private RandomPermutation permutation;

    public BatchOrder(long rows, int batchSize, long seed, boolean shuffle, boolean dropLast) {
        if (rows <= 0) {
            throw new IllegalArgumentException("no rows to batch");
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch_size must be positive, got " + batchSize);
        }
        this.rows = rows;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.batchesPerEpoch = dropLast ? rows / batchSize : (rows + batchSize - 1) / batchSize;
        if (batchesPerEpoch == 0) {
            throw new IllegalArgumentException("fewer rows (" + rows + ") than one batch (" + batchSize + ")");
        }
    }

    /** Shuffled training order without the incomplete last batch. */
    public static BatchOrder training(long rows, int batchSize, long seed) {
        return new BatchOrder(rows, batchSize, seed, true, true);
    }

    /** Every row once, in order, the last batch possibly smaller (evaluation). */
    public static BatchOrder sequential(long rows, int batchSize) {
        return new BatchOrder(rows, batchSize, 0, false, false);
    }

    public long rowCount() {
        return rows;
    }

    public int batchSize() {
        return batchSize;
    }

    public long seed() {
        return seed;
    }

    public long batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** The epoch batch {@code k} belongs to (0-based). */
    public long epochOf(long k) {
        return k / batchesPerEpoch;
    }

    /** The row indices of global batch {@code k} (k counts across epochs from 0). */
    public long[] rows(long k) {
        if (k < 0) {
            throw new IndexOutOfBoundsException("batch " + k);
        }
        long epoch = k / batchesPerEpoch;
        long first = (k % batchesPerEpoch) * batchSize;
        int size = (int) Math.min(batchSize, rows - first);
        long[] out = new long[size];
        for (int i = 0; i < size; i++) {
            out[i] = row(epoch, first + i);
        }
        return out;
    }

    /** The row at {@code position} of epoch {@code epoch}'s order. */
    public long row(long epoch, long position) {
        if (!shuffle) {
            return position;
        }
        if (epoch != cachedEpoch) {
            // Each epoch's key comes from (seed, epoch) only.
            permutation = new RandomPermutation(rows, RandomPermutation.mix(seed * 0x9E3779B97F4A7C15L + epoch));
            cachedEpoch = epoch;
        }
        return permutation.apply(position);
    }

    /** The cursor a run that has consumed batches {@code 0..k-1} saves. */
    public DataCursor cursorAt(long k, String dataFingerprint) {
        return new DataCursor(dataFingerprint, seed, batchSize, k);
    }

    /**
     * The index of the batch a run resumed from {@code cursor} consumes next.
     *
     * @throws IllegalArgumentException if the cursor was taken with another seed or batch size, or over other data
     */
    public long resume(DataCursor cursor, String dataFingerprint) {
        return cursor.nextBatchFor(seed, batchSize, dataFingerprint);
    }
}
