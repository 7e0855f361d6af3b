package io.encoder4j.datasets.prepare;

import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.sampling.BatchOrder;
import io.encoder4j.datasets.sampling.DataCursor;
import java.util.Arrays;

/**
 * Batch {@code k} of prepared rows: the rows {@link BatchOrder} chooses (seeded, a new permutation each epoch),
 * copied from the memory-mapped shards and padded as the packing requires. A pure function of {@code k}, so a run
 * resumed from a {@link DataCursor} continues at the next batch without reading earlier ones.
 */
public final class PretrainingBatches {

    private final ArrowShardReader rows;
    private final BatchOrder order;
    private final Packing packing;
    private final int seqLength;
    private final int padId;
    private final String fingerprint;

    public PretrainingBatches(ArrowShardReader rows, BatchOrder order, Packing packing, int seqLength, int padId,
            String fingerprint) {
        this.rows = rows;
        this.order = order;
        this.packing = packing;
        this.seqLength = seqLength;
        this.padId = padId;
        this.fingerprint = fingerprint;
    }

    public BatchOrder order() {
        return order;
    }

    public long batchesPerEpoch() {
        return order.batchesPerEpoch();
    }

    /** Global batch {@code k} (counting across epochs). */
    public TokenBatch batch(long k) {
        long[] chosen = order.rows(k);
        int b = chosen.length;
        int n = seqLength;
        if (packing == Packing.PER_EXAMPLE) {
            n = 0;
            for (long r : chosen) {
                n = Math.max(n, rows.rowLength(r));
            }
        }
        int[] ids = new int[b * n];
        int[] mask = new int[b * n];
        for (int i = 0; i < b; i++) {
            int len = rows.copyRow(chosen[i], ids, i * n);
            if (packing == Packing.GROUP_TEXTS && len != n) {
                throw new IllegalStateException("row " + chosen[i] + " has " + len + " tokens, expected " + n);
            }
            Arrays.fill(ids, i * n + len, (i + 1) * n, padId);
            Arrays.fill(mask, i * n, i * n + len, 1);
        }
        return new TokenBatch(b, n, ids, mask, chosen);
    }

    /** The cursor to save after consuming batches {@code 0..k-1}. */
    public DataCursor cursorAt(long k) {
        return order.cursorAt(k, fingerprint);
    }

    /** The next batch index for a run resumed from {@code cursor} (checked against this data, seed and size). */
    public long resume(DataCursor cursor) {
        return order.resume(cursor, fingerprint);
    }
}
