package io.encoder4j.training.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.encoder4j.models.MaskedLmModel;
import org.junit.jupiter.api.Test;

class MaskedLmMetricsTest {

    @Test
    void lossAccuracyAndPerplexityAreMeansOverTokens() {
        // Batch 1: 2 tokens, mean loss 1.0, 1 right; batch 2: 6 tokens, mean loss 2.0, 3 right.
        MaskedLmMetrics m = MaskedLmMetrics.EMPTY.plus(1.0, 1, 2).plus(2.0, 3, 6);
        assertEquals((2 * 1.0 + 6 * 2.0) / 8, m.loss(), 1e-15);
        assertEquals(4.0 / 8, m.accuracy(), 1e-15);
        assertEquals(Math.exp(14.0 / 8), m.perplexity(), 1e-12);
    }

    @Test
    void crossEntropyReferenceByHandAndTheModelsLossAgree() {
        // Uniform logits over 4 classes: -log(1/4).
        assertEquals(Math.log(4), MaskedLmMetrics.crossEntropy(new double[] {3, 3, 3, 3}, 2), 1e-15);
        // logits (0, ln 3): p = (1/4, 3/4).
        assertEquals(-Math.log(0.75), MaskedLmMetrics.crossEntropy(new double[] {0, Math.log(3)}, 1), 1e-15);
        double[][] logits = {{0.5, -1, 2}, {3, 0.25, -2}};
        int[] labels = {2, 1};
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray l = manager.create(new float[][] {{0.5f, -1f, 2f}, {3f, 0.25f, -2f}});
            NDArray y = manager.create(new long[] {2, 1});
            double expected = (MaskedLmMetrics.crossEntropy(logits[0], labels[0])
                    + MaskedLmMetrics.crossEntropy(logits[1], labels[1])) / 2;
            assertEquals(expected, MaskedLmModel.loss(l, y).getFloat(), 1e-6);
            // Row 0's arg-max is its label, row 1's is not.
            assertEquals(1, MaskedLmModel.correct(l, y).getLong());
        }
    }
}
