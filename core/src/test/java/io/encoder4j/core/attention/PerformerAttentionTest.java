package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PerformerAttentionTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static PerformerAttention performer(int features, String kernel, int redraw, long seed, int heads,
            int headSize, DataType type) {
        AttentionConfig config = AttentionConfig.of("performer", "num_features", features, "kernel", kernel,
                "redraw_interval", redraw, "seed", seed, "dropout", 0);
        return (PerformerAttention) AttentionTesting.block(manager, config, heads * headSize, heads, 64, type);
    }

    @Test
    void softmaxKernelErrorFallsAsFeaturesGrow() {
        int heads = 2;
        int d = 16;
        int n = 32;
        int[] budgets = {16, 64, 256, 1024};
        int seeds = 3;
        double[] error = new double[budgets.length];
        Engine.getInstance().setRandomSeed(21);
        Shape shape = new Shape(2, heads, n, d);
        // Entries of std 0.5: scores q·k/sqrt(D) of std about 0.25.
        NDArray q = manager.randomNormal(shape, DataType.FLOAT64).mul(0.5);
        NDArray k = manager.randomNormal(shape, DataType.FLOAT64).mul(0.5);
        NDArray v = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray padding = AttentionTesting.paddingMask(manager, n, n, n);
        AttentionContext ctx = AttentionContext.fromMasks(padding, null, DataType.FLOAT64);
        NDArray exact = AttentionTesting.dense(q, k, v, manager.ones(new Shape(2, heads, n, n), DataType.FLOAT64));
        for (int i = 0; i < budgets.length; i++) {
            for (long seed = 0; seed < seeds; seed++) {
                PerformerAttention block = performer(budgets[i], "softmax", 0, seed, heads, d, DataType.FLOAT64);
                NDArray approx = block.attendHeads(q, k, v, ctx, false);
                error[i] += AttentionTesting.relativeError(exact, approx) / seeds;
            }
        }
        // FAVOR+ is unbiased with O(1/sqrt(m)) error: 4x the features should about halve it.
        for (int i = 1; i < budgets.length; i++) {
            assertTrue(error[i] < 0.8 * error[i - 1],
                    "error should fall with num_features: " + java.util.Arrays.toString(error));
        }
        assertTrue(error[budgets.length - 1] < 0.12, "error at 1024 features: " + error[budgets.length - 1]);
    }

    @Test
    void softmaxKernelEqualsItsQuadraticFormWithTextbookFeatures() {
        // The stabilisers and the dropped per-row and per-sequence factors must cancel exactly: compare with the
        // unstabilised φ(x) = exp(W x - |x|²/2) / sqrt(m), x scaled by D^{-1/4}, written out densely.
        int heads = 2;
        int d = 4;
        int m = 12;
        PerformerAttention block = performer(m, "softmax", 0, 2, heads, d, DataType.FLOAT64);
        NDArray w = block.featureMatrix();
        double scale = Math.pow(d, -0.25);
        UnaryOperator<NDArray> phi = x -> {
            NDArray xs = x.mul(scale);
            return xs.matMul(w.transpose()).sub(xs.square().sum(new int[] {-1}, true).div(2)).exp()
                    .div(Math.sqrt(m));
        };
        LinearAttentionTest.assertMatchesQuadraticForm(manager, block, phi, phi, new int[] {11, 5, 0}, 11, heads, d,
                8, 1.0, 1e-9);
    }

    @Test
    void rowsAreOrthogonalWithinEachBlock() {
        int d = 16;
        int m = 40;
        double[] w = performer(m, "softmax", 0, 3, 2, d, DataType.FLOAT64).featureMatrix().toDoubleArray();
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += w[i * d + c] * w[j * d + c];
                }
                double cos = dot / (norm(w, i, d) * norm(w, j, d));
                if (i / d == j / d) {
                    assertEquals(0, cos, 1e-12, "rows " + i + " and " + j + " of one block");
                } else if (i % d == 0 && j % d == 0) {
                    // Different blocks are independent draws, not orthogonal to each other.
                    assertTrue(Math.abs(cos) > 1e-6, "rows " + i + " and " + j + " of different blocks");
                }
            }
        }
        // Chi-distributed lengths: not all equal, with E|w|² = D.
        double sumSquares = 0;
        double min = Double.MAX_VALUE;
        double max = 0;
        for (int i = 0; i < m; i++) {
            double len = norm(w, i, d);
            sumSquares += len * len;
            min = Math.min(min, len);
            max = Math.max(max, len);
        }
        assertTrue(max - min > 0.1, "row lengths should vary");
        assertEquals(d, sumSquares / m, 0.35 * d, "mean squared row length");
    }

    private static double norm(double[] w, int row, int d) {
        double s = 0;
        for (int c = 0; c < d; c++) {
            s += w[row * d + c] * w[row * d + c];
        }
        return Math.sqrt(s);
    }

    @Test
    void sameSeedSameFeaturesAndRedrawOnlyAfterTheIntervalInTraining() {
        PerformerAttention a = performer(24, "softmax", 2, 5, 2, 8, DataType.FLOAT32);
        PerformerAttention b = performer(24, "softmax", 2, 5, 2, 8, DataType.FLOAT32);
        PerformerAttention other = performer(24, "softmax", 2, 6, 2, 8, DataType.FLOAT32);
        NDArray buffer = a.featureMatrix();
        float[] draw0 = buffer.toFloatArray();
        assertArrayEquals(draw0, b.featureMatrix().toFloatArray(), "same seed, same features");
        assertFalse(java.util.Arrays.equals(draw0, other.featureMatrix().toFloatArray()), "other seed");

        Engine.getInstance().setRandomSeed(1);
        NDArray x = manager.randomNormal(new Shape(1, 2, 5, 8));
        AttentionContext ctx = AttentionContext.fromPaddingMask(manager.ones(new Shape(1, 5)));
        for (int i = 0; i < 3; i++) {
            a.attendHeads(x, x, x, ctx, false);
        }
        assertArrayEquals(draw0, a.featureMatrix().toFloatArray(), "evaluation never redraws");
        a.attendHeads(x, x, x, ctx, true);
        a.attendHeads(x, x, x, ctx, true);
        assertArrayEquals(draw0, a.featureMatrix().toFloatArray(), "a draw serves r = 2 training passes");
        a.attendHeads(x, x, x, ctx, true);
        float[] draw1 = a.featureMatrix().toFloatArray();
        assertFalse(java.util.Arrays.equals(draw0, draw1), "the third training pass uses a new draw");
        assertTrue(buffer == a.featureMatrix(), "redrawn in place");
        a.attendHeads(x, x, x, ctx, false);
        a.attendHeads(x, x, x, ctx, true);
        assertArrayEquals(draw1, a.featureMatrix().toFloatArray(), "evaluation passes do not count");
        // The same seed follows the same sequence of draws.
        for (int i = 0; i < 3; i++) {
            b.attendHeads(x, x, x, ctx, true);
        }
        assertArrayEquals(draw1, b.featureMatrix().toFloatArray(), "draws are deterministic");

        PerformerAttention never = performer(24, "softmax", 0, 5, 2, 8, DataType.FLOAT32);
        for (int i = 0; i < 5; i++) {
            never.attendHeads(x, x, x, ctx, true);
        }
        assertArrayEquals(draw0, never.featureMatrix().toFloatArray(), "redraw_interval 0 never redraws");
    }

    @Test
    void reluKernelIsFiniteAndEqualsItsQuadraticForm() {
        int heads = 2;
        int d = 4;
        int m = 12;
        PerformerAttention block = performer(m, "relu", 0, 2, heads, d, DataType.FLOAT64);
        NDArray w = block.featureMatrix();
        UnaryOperator<NDArray> phi = x -> Activation.relu(x.matMul(w.transpose())).div(Math.sqrt(m)).add(1e-3);
        LinearAttentionTest.assertMatchesQuadraticForm(manager, block, phi, phi, new int[] {9, 4, 0}, 9, heads, d, 4, 2.0,
                1e-9);
    }

    @Test
    void paddingDoesNotChangeRealOutputs() {
        for (String kernel : new String[] {"softmax", "relu"}) {
            PerformerAttention block = performer(32, kernel, 0, 1, 2, 8, DataType.FLOAT32);
            AttentionTesting.assertPaddingIndependent(manager, block, 16, 23, 5);
            AttentionTesting.assertPaddingIndependent(manager, block, 16, 1, 6);
        }
    }

    @Test
    void outputsAreFiniteForAllPaddingRowsAndLargeInputs() {
        PerformerAttention block = performer(32, "softmax", 0, 1, 2, 8, DataType.FLOAT32);
        Engine.getInstance().setRandomSeed(4);
        NDArray x = manager.randomNormal(new Shape(2, 9, 16)).mul(30);
        NDArray mask = AttentionTesting.paddingMask(manager, 9, 9, 0).toType(DataType.FLOAT32, false);
        NDArray out = block.attend(new ParameterStore(manager, false), x, AttentionContext.fromPaddingMask(mask),
                false);
        LinearAttentionTest.assertFinite(out);
    }
}
