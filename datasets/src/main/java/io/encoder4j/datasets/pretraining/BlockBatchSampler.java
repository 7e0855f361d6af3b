package io.encoder4j.datasets.pretraining;

import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.sampling.DataCursor;
import java.util.SplittableRandom;

/**
 * Serves fixed-length blocks from Arrow shards as flattened (B*N) batches. Batch {@code k} is a pure function of
 * {@code (seed, k)}: each epoch visits the rows in its own seeded permutation, so any batch can be produced directly
 * (a resumed run needs no replay) and the last incomplete batch of an epoch is dropped.
 */
public final class BlockBatchSampler {

    private final ArrowShardReader reader;
    private final int batchSize;
    private final int seqLength;
    private final long seed;
    private final boolean shuffle;
    private final long batchesPerEpoch;
    private long cachedEpoch = -1;
    private int[] order;

    public BlockBatchSampler(ArrowShardReader reader, int batchSize, int seqLength, long seed, boolean shuffle) {
        if (reader.rowCount() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("more than 2^31 blocks in one split");
        }
        this.reader = reader;
        this.batchSize = batchSize;
        this.seqLength = seqLength;
        this.seed = seed;
        this.shuffle = shuffle;
        this.batchesPerEpoch = reader.rowCount() / batchSize;
    }

    /** Complete batches in one pass over the rows (0 if there are fewer rows than a batch). */
    public long batchesPerEpoch() {
        return batchesPerEpoch;
    }

    public int batchSize() {
        return batchSize;
    }

    public int seqLength() {
        return seqLength;
    }

    /** The ids of global batch {@code k}, row-major (B*N). */
    public int[] batch(long k) {
        if (batchesPerEpoch == 0) {
            throw new IllegalStateException("fewer rows (" + reader.rowCount() + ") than one batch (" + batchSize + ")");
        }
        long epoch = k / batchesPerEpoch;
        int first = (int) ((k % batchesPerEpoch) * batchSize);
        int[] rows = rowsOfEpoch(epoch);
        int[] ids = new int[batchSize * seqLength];
        for (int b = 0; b < batchSize; b++) {
            int n = reader.copyRow(rows[first + b], ids, b * seqLength);
            if (n != seqLength) {
                throw new IllegalStateException("block " + rows[first + b] + " has " + n + " tokens, expected "
                        + seqLength);
            }
        }
        return ids;
    }

    /**
     * The cursor a run saves after consuming batches {@code 0..k-1}: since batch {@code k} is a pure function of
     * {@code (seed, k)}, the index is the whole position.
     *
     * @param dataFingerprint names the data (e.g. the packed cache entry), checked on resume; may be null
     */
    public DataCursor cursorAt(long k, String dataFingerprint) {
        return new DataCursor(dataFingerprint, seed, batchSize, k);
    }

    /**
     * The next batch index of a run resumed from {@code cursor}.
     *
     * @throws IllegalArgumentException if the cursor was saved with another seed, batch size or data
     */
    public long resume(DataCursor cursor, String dataFingerprint) {
        return cursor.nextBatchFor(seed, batchSize, dataFingerprint);
    }

    private int[] rowsOfEpoch(long epoch) {
        if (epoch != cachedEpoch) {
            int n = (int) reader.rowCount();
            order = new int[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            if (shuffle) {
                // Fisher-Yates with a generator derived from (seed, epoch) only.
                SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
                for (int i = n - 1; i > 0; i--) {
                    int j = rng.nextInt(i + 1);
                    int t = order[i];
                    order[i] = order[j];
                    order[j] = t;
                }
            }
            cachedEpoch = epoch;
        }
        return order;
    }
}
