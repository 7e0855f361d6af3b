package io.encoder4j.training.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Hand-computed cases; the arithmetic is written out in the comments. */
class ClassificationMetricsTest {

    // Confusion (rows gold, columns predicted): [[1, 1, 0], [0, 2, 0], [1, 0, 1]].
    private static final int[] GOLD = {0, 0, 1, 1, 2, 2};
    private static final int[] PRED = {0, 1, 1, 1, 2, 0};

    @Test
    void confusionAndAccuracy() {
        assertArrayEquals(new long[][] {{1, 1, 0}, {0, 2, 0}, {1, 0, 1}},
                ClassificationMetrics.confusion(GOLD, PRED));
        assertEquals(4.0 / 6, ClassificationMetrics.accuracy(GOLD, PRED), 1e-15);
    }

    @Test
    void macroF1AveragesThePerClassF1() {
        // class 0: P = 1/2, R = 1/2, F1 = 1/2; class 1: P = 2/3, R = 1, F1 = 4/5; class 2: P = 1, R = 1/2, F1 = 2/3.
        assertEquals((0.5 + 0.8 + 2.0 / 3) / 3, ClassificationMetrics.macroF1(GOLD, PRED), 1e-15);
        // A class only predicted, never gold, counts with F1 0: (2/3 + 0) / 2.
        assertEquals(1.0 / 3, ClassificationMetrics.macroF1(new int[] {0, 0}, new int[] {0, 1}), 1e-15);
        assertEquals(1.0, ClassificationMetrics.macroF1(new int[] {1, 0, 1}, new int[] {1, 0, 1}), 0);
    }

    @Test
    void matthewsCorrelation() {
        // s = 6, c = 4, t = (2, 2, 2), p = (2, 3, 1): (4*6 - 12) / sqrt((36 - 14) (36 - 12)) = 12 / sqrt(528).
        assertEquals(12 / Math.sqrt(528), ClassificationMetrics.matthewsCorrelation(GOLD, PRED), 1e-15);
        // Binary: TP 1, FN 1, TN 2, FP 0: (1*2 - 0*1) / sqrt(1 * 2 * 2 * 3) = 2 / sqrt(12).
        assertEquals(2 / Math.sqrt(12),
                ClassificationMetrics.matthewsCorrelation(new int[] {1, 1, 0, 0}, new int[] {1, 0, 0, 0}), 1e-15);
        assertEquals(-1.0, ClassificationMetrics.matthewsCorrelation(new int[] {1, 0, 1, 0}, new int[] {0, 1, 0, 1}),
                1e-15);
        // A constant prediction carries no information: 0, not NaN.
        assertEquals(0.0, ClassificationMetrics.matthewsCorrelation(new int[] {1, 0, 1}, new int[] {1, 1, 1}), 0);
    }

    @Test
    void mismatchedLengthsAndNegativeLabelsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.accuracy(new int[2], new int[3]));
        assertThrows(IllegalArgumentException.class, () -> ClassificationMetrics.accuracy(new int[0], new int[0]));
        assertThrows(IllegalArgumentException.class,
                () -> ClassificationMetrics.confusion(new int[] {-1}, new int[] {0}));
    }
}
