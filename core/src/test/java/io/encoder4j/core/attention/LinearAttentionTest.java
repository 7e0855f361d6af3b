package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LinearAttentionTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /**
     * The quadratic form of a kernel attention written out densely: A_ij = φ(q_i)·φ(k_j) at real keys, rows
     * normalised (0 for rows without real keys), times V.
     */
    static NDArray quadraticForm(NDArray phiQ, NDArray phiK, NDArray v, NDArray paddingMask) {
        long b = paddingMask.getShape().get(0);
        long n = paddingMask.getShape().get(1);
        NDArray a = phiQ.matMul(phiK.transpose(0, 1, 3, 2)).mul(paddingMask.reshape(b, 1, 1, n));
        NDArray rowSum = a.sum(new int[] {-1}, true);
        NDArray empty = paddingMask.max(new int[] {1}, true).neg().add(1).reshape(b, 1, 1, 1);
        return a.div(rowSum.add(empty)).matMul(v);
    }

    /**
     * Checks {@code block.attendHeads} against {@link #quadraticForm} with the given feature maps in float64:
     * outputs and gradients with respect to q, k and v at real query positions, and finite outputs everywhere.
     */
    static void assertMatchesQuadraticForm(NDManager manager, SelfAttention block, UnaryOperator<NDArray> phiQ,
            UnaryOperator<NDArray> phiK, int[] lengths, int n, int heads, int headSize, long seed, double scale,
            double tolerance) {
        Engine.getInstance().setRandomSeed((int) seed);
        Shape shape = new Shape(lengths.length, heads, n, headSize);
        NDArray q0 = manager.randomNormal(shape, DataType.FLOAT64).mul(scale);
        NDArray k0 = manager.randomNormal(shape, DataType.FLOAT64).mul(scale);
        NDArray v0 = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray weights = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray padding = AttentionTesting.paddingMask(manager, n, lengths);
        NDArray realQueries = padding.reshape(lengths.length, 1, n, 1);
        AttentionContext ctx = AttentionContext.fromMasks(padding, null, DataType.FLOAT64);
        NDArray[] a = attached(q0, k0, v0);
        NDArray[] r = attached(q0, k0, v0);
        NDArray out;
        NDArray ref;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = block.attendHeads(a[0], a[1], a[2], ctx, false);
            ref = quadraticForm(phiQ.apply(r[0]), phiK.apply(r[1]), r[2], padding);
            gc.backward(out.mul(weights).mul(realQueries).sum().add(ref.mul(weights).mul(realQueries).sum()));
        }
        assertEquals(shape, out.getShape(), "output shape");
        assertFinite(out);
        AttentionTesting.assertClose("output", ref.mul(realQueries), out.mul(realQueries), tolerance);
        String[] names = {"dq", "dk", "dv"};
        for (int i = 0; i < 3; i++) {
            AttentionTesting.assertClose(names[i], r[i].getGradient(), a[i].getGradient(), tolerance);
        }
    }

    static NDArray[] attached(NDArray... xs) {
        NDArray[] out = new NDArray[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = xs[i].duplicate();
            out[i].setRequiresGradient(true);
        }
        return out;
    }

    static void assertFinite(NDArray x) {
        assertEquals(0, x.isInfinite().logicalOr(x.isNaN()).sum().getLong(), "non-finite values");
    }

    @Test
    void equalsTheExplicitQuadraticFormWithGradients() {
        Random random = new Random(11);
        for (int trial = 0; trial < 6; trial++) {
            int n = 1 + random.nextInt(30);
            int heads = 1 + random.nextInt(3);
            int headSize = 2 + random.nextInt(6);
            SelfAttention block = AttentionTesting.block(manager, AttentionConfig.of("linear", "dropout", 0),
                    heads * headSize, heads, 32, DataType.FLOAT64);
            int[] lengths = AttentionTesting.randomLengths(random, 3, n);
            lengths[2] = 0;
            // elu(x) + 1 written out independently of the implementation: x + 1 for x > 0, exp(x) otherwise.
            UnaryOperator<NDArray> phi = x -> x.gt(0).toType(DataType.FLOAT64, false).mul(x.add(1))
                    .add(x.lte(0).toType(DataType.FLOAT64, false).mul(x.minimum(0).exp()));
            assertMatchesQuadraticForm(manager, block, phi, phi, lengths, n, heads, headSize, trial, 1.5, 1e-9);
        }
    }

    @Test
    void paddingDoesNotChangeRealOutputs() {
        SelfAttention block = AttentionTesting.block(manager, AttentionConfig.of("linear"), 16, 2, 64,
                DataType.FLOAT32);
        AttentionTesting.assertPaddingIndependent(manager, block, 16, 23, 5);
        AttentionTesting.assertPaddingIndependent(manager, block, 16, 1, 6);
    }

    @Test
    void takesNoExtraKeys() {
        assertTrue(AttentionRegistry.names().contains(LinearAttention.NAME));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionConfig.of("linear", "num_features", 8));
        assertTrue(e.getMessage().startsWith("num_features does not apply to attention type 'linear'"),
                e.getMessage());
    }
}
