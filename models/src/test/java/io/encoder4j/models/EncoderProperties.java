package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Random;

/**
 * The property every encoder must have, shared by the attention-type and preset tests: at random lengths from 1 to
 * the maximum, forward and backward succeed without NaN, and each sequence's outputs at its real positions equal
 * those it gets alone, so they depend neither on the padding after it nor on the other sequences of its batch.
 */
final class EncoderProperties {

    private EncoderProperties() {}

    /**
     * @param what named in failure messages
     * @param globalOnFirst give {@code <s>} (position 0) global attention, in the batch and alone
     */
    static void assertRealOutputsDependOnlyOnTheSequence(String what, TransformerEncoder encoder, NDManager manager,
            Random random, int trials, boolean globalOnFirst) {
        EncoderConfig config = encoder.config();
        int max = config.maxSequenceLength();
        int e = config.hiddenSize();
        int vocab = config.vocabSize();
        ParameterStore ps = new ParameterStore(manager, false);
        for (int trial = 0; trial < trials; trial++) {
            int n = 1 + random.nextInt(max);
            int[] lengths = {n, 1 + random.nextInt(n), 1 + random.nextInt(n)};
            long[] ids = new long[3 * n];
            float[] mask = new float[3 * n];
            for (int b = 0; b < 3; b++) {
                for (int i = 0; i < n; i++) {
                    boolean real = i < lengths[b];
                    ids[b * n + i] = real ? 3 + random.nextInt(vocab - 3) : config.padTokenId();
                    mask[b * n + i] = real ? 1 : 0;
                }
            }
            NDArray batchIds = manager.create(ids, new Shape(3, n));
            NDArray batchMask = manager.create(mask, new Shape(3, n));
            NDArray batch;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                batch = encoder.encode(ps, batchIds, batchMask, global(batchMask, globalOnFirst), true);
                encoder.backward(gc, batch.mul(batchMask.reshape(3, n, 1)).sum());
            }
            assertEquals(0, batch.isNaN().sum().getLong(), what + ": NaN at length " + n);
            float[] all = batch.toFloatArray();
            for (int b = 0; b < 3; b++) {
                int len = lengths[b];
                NDArray aloneMask = manager.ones(new Shape(1, len), DataType.FLOAT32);
                NDArray alone = encoder.encode(ps, batchIds.get(b + ":" + (b + 1) + ", 0:" + len), aloneMask,
                        global(aloneMask, globalOnFirst), false);
                float[] expected = alone.toFloatArray();
                for (int i = 0; i < len * e; i++) {
                    float actual = all[b * n * e + i];
                    assertTrue(Math.abs(expected[i] - actual) < 2e-4f, what + ": sequence " + b + " (length " + len
                            + " in a batch of length " + n + "), element " + i + ": alone " + expected[i]
                            + ", in the batch " + actual);
                }
            }
        }
    }

    private static NDArray global(NDArray mask, boolean globalOnFirst) {
        return globalOnFirst ? GlobalAttentionMasks.firstToken(mask) : null;
    }
}
