package io.encoder4j.training.finetune;

import io.encoder4j.datasets.sampling.BatchOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The rows of each optimizer step, cut into its micro-batches: one seeded order over batches of
 * {@code batchSize x microBatches} rows, so the rows of step k are a pure function of (seed, k) and a resumed run
 * reads step k directly (the TrainingTask contract).
 */
record MicroBatchRows(BatchOrder order, int batchSize, int microBatches) {

    static MicroBatchRows training(long rows, int batchSize, int microBatches, long seed) {
        return new MicroBatchRows(BatchOrder.training(rows, batchSize * microBatches, seed), batchSize, microBatches);
    }

    /** Step {@code step}'s micro-batches, each built by {@code batch} from its rows. */
    <B> List<B> of(long step, Function<long[], B> batch) {
        long[] rows = order.rows(step);
        List<B> out = new ArrayList<>(microBatches);
        for (int b = 0; b < microBatches; b++) {
            out.add(batch.apply(Arrays.copyOfRange(rows, b * batchSize, (b + 1) * batchSize)));
        }
        return out;
    }

    /** int token ids widened to the INT64 that DJL's embedding takes. */
    static long[] longs(int[] values) {
        long[] out = new long[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** A 1/0 int mask as float. */
    static float[] floats(int[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
