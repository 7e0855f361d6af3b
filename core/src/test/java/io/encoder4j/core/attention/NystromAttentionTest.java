package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NystromAttentionTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static NystromAttention block(int landmarks, int iterations, int conv, int hidden, int heads,
            int maxLength, DataType type) {
        AttentionConfig config = AttentionConfig.of("nystrom", "num_landmarks", landmarks, "pinv_iterations",
                iterations, "conv_kernel", conv, "dropout", 0);
        return (NystromAttention) AttentionTesting.block(manager, config, hidden, heads, maxLength, type);
    }

    private static NDArray normal(Shape shape) {
        return manager.randomNormal(shape, DataType.FLOAT64);
    }

    private static void assertFinite(NDArray x) {
        assertEquals(0, x.isNaN().logicalOr(x.isInfinite()).sum().getLong(), "non-finite values");
    }

    @Test
    void oneLandmarkPerTokenIsFullAttention() {
        // m = N: every real token is its own segment, Q~ = Q and K~ = K, so eq. 14 is P pinv(P) P V = P V once the
        // iteration has converged. Padded rows (lengths 5, 1) keep one landmark per real token and empty segments
        // for the rest, which must not change anything; the all-padding row must stay finite.
        int n = 10;
        int heads = 2;
        NystromAttention block = block(n, 30, 0, 8, heads, 16, DataType.FLOAT64);
        AttentionTesting.assertMatchesDense(manager, block, (b, h, i, j) -> true, new int[] {n, n}, n, heads, 4,
                21, 1e-6);
        AttentionTesting.assertMatchesDense(manager, block, (b, h, i, j) -> true, new int[] {n, 5, 1, 0}, n, heads,
                4, 22, 1e-6);
    }

    @Test
    void newtonSchulzIterationGivesTheMoorePenroseInverse() {
        Engine.getInstance().setRandomSeed(5);
        int m = 12;
        // Random softmax matrices (B=2, H=2).
        NDArray a = normal(new Shape(2, 2, m, m)).mul(2).softmax(-1);
        NDArray z = NystromAttention.pseudoInverse(a, 30, false);
        AttentionTesting.assertClose("A Z A", a, a.matMul(z).matMul(a), 1e-8);
        NDArray inverse = a.inverse();
        assertTrue(AttentionTesting.relativeError(inverse, z) < 1e-8, "Z is not A^-1");
        // Each matrix gets its own initial scaling: Z_k(c A) = Z_k(A) / c for every k, so after the paper's 6
        // iterations a head scaled by 1000 next to an unscaled one must give exactly the unscaled result / 1000,
        // and the unscaled one must not notice its neighbour (one global maximum would slow it down).
        NDArray first = a.get(":, 0:1");
        NDArray mixed = NystromAttention.pseudoInverse(first.concat(first.mul(1000), 1), 6, false);
        NDArray alone = NystromAttention.pseudoInverse(first, 6, false);
        AttentionTesting.assertClose("unscaled head", alone, mixed.get(":, 0:1"), 1e-9);
        AttentionTesting.assertClose("scaled head", alone, mixed.get(":, 1:2").mul(1000), 1e-9);
        // Rank-deficient (two equal rows): Z must satisfy the four Penrose conditions. 12 iterations converge on the
        // non-zero singular values; many more would let rounding noise in the null space grow (x 3.25 each).
        NDArray s = normal(new Shape(1, 1, m, m)).softmax(-1);
        NDArray singular = s.get(":, :, 0:1").concat(s.get(":, :, 0:" + (m - 1)), 2);
        NDArray p = NystromAttention.pseudoInverse(singular, 12, false);
        NDArray ap = singular.matMul(p);
        NDArray pa = p.matMul(singular);
        AttentionTesting.assertClose("A Z A", singular, ap.matMul(singular), 1e-8);
        AttentionTesting.assertClose("Z A Z", p, pa.matMul(p), 1e-6);
        AttentionTesting.assertClose("A Z symmetric", ap.transpose(0, 1, 3, 2), ap, 1e-8);
        AttentionTesting.assertClose("Z A symmetric", pa.transpose(0, 1, 3, 2), pa, 1e-8);
        // Fewer iterations are further from the inverse: the paper's 6 are an approximation.
        double six = AttentionTesting.relativeError(inverse, NystromAttention.pseudoInverse(a, 6, false));
        double twelve = AttentionTesting.relativeError(inverse, NystromAttention.pseudoInverse(a, 12, false));
        assertTrue(six > twelve, six + " <= " + twelve);
        // transformers' start (pinv_init: batch): Z0 = A^T / the largest column sum of any matrix in the batch,
        // which converges to the same inverse.
        NDArray start = NystromAttention.pseudoInverse(a, 0, true);
        double largestColumnSum = a.sum(new int[] {-2}).max().getDouble();
        AttentionTesting.assertClose("batch Z0", a.transpose(0, 1, 3, 2).div(largestColumnSum), start, 1e-12);
        assertTrue(AttentionTesting.relativeError(inverse, NystromAttention.pseudoInverse(a, 40, true)) < 1e-8,
                "the batch start does not converge to A^-1");
    }

    /**
     * Error against full attention falls as the landmarks grow (N = 64, random inputs, the paper's 6 iterations,
     * averaged over 4 seeds): more segments give landmarks closer to the tokens they summarise, and m = N is the
     * exact formula up to the unconverged pseudo-inverse.
     */
    @Test
    void errorAgainstFullAttentionFallsAsLandmarksGrow() {
        int n = 64;
        int heads = 2;
        int d = 8;
        int[] landmarks = {4, 16, 64};
        double[] errors = new double[landmarks.length];
        int seeds = 4;
        NystromAttention[] blocks = new NystromAttention[landmarks.length];
        for (int i = 0; i < landmarks.length; i++) {
            blocks[i] = block(landmarks[i], 6, 0, heads * d, heads, n, DataType.FLOAT64);
        }
        AttentionContext ctx = AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, n, n), null,
                DataType.FLOAT64);
        for (int s = 0; s < seeds; s++) {
            Engine.getInstance().setRandomSeed(40 + s);
            Shape shape = new Shape(1, heads, n, d);
            NDArray q = normal(shape);
            NDArray k = normal(shape);
            NDArray v = normal(shape);
            NDArray reference = AttentionTesting.dense(q, k, v, manager.ones(new Shape(1, heads, n, n),
                    DataType.FLOAT64));
            for (int i = 0; i < landmarks.length; i++) {
                errors[i] += AttentionTesting.relativeError(reference, blocks[i].attendHeads(q, k, v, ctx, false))
                        / seeds;
            }
        }
        for (int i = 0; i + 1 < landmarks.length; i++) {
            assertTrue(errors[i] > 1.15 * errors[i + 1], "error at m=" + landmarks[i] + " (" + errors[i]
                    + ") not clearly above m=" + landmarks[i + 1] + " (" + errors[i + 1] + ")");
        }
        assertTrue(errors[landmarks.length - 1] < 0.2, "m = N error " + errors[landmarks.length - 1]);
    }

    @Test
    void paddingDoesNotChangeRealOutputsWithTheConvolution() {
        // 4 landmarks on lengths 23, 11 and 1 (fewer real tokens than landmarks), conv over 5 positions.
        NystromAttention block = block(4, 6, 5, 16, 2, 64, DataType.FLOAT32);
        AttentionTesting.assertPaddingIndependent(manager, block, 16, 23, 5);
        NystromAttention wide = block(16, 6, 33, 16, 2, 64, DataType.FLOAT32);
        AttentionTesting.assertPaddingIndependent(manager, wide, 16, 23, 6);
    }

    @Test
    void fewerRealTokensThanLandmarksStayFiniteAndExact() {
        // 8 landmarks on lengths 3, 1 and 0: empty segments everywhere, in both float types, conv on.
        int n = 12;
        int[] lengths = {3, 1, 0};
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            NystromAttention block = block(8, 6, 3, 8, 2, 16, type);
            Engine.getInstance().setRandomSeed(8);
            Shape shape = new Shape(lengths.length, 2, n, 4);
            AttentionContext ctx = AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, n, lengths), null,
                    type);
            NDArray out = block.attendHeads(normal(shape).toType(type, false), normal(shape).toType(type, false),
                    normal(shape).toType(type, false), ctx, false);
            assertEquals(type, out.getDataType());
            assertFinite(out);
            // Length 1: one real token, 7 empty landmarks, the convolution's border on both sides.
            Shape one = new Shape(1, 2, 1, 4);
            NDArray single = block.attendHeads(normal(one).toType(type, false), normal(one).toType(type, false),
                    normal(one).toType(type, false),
                    AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, 1, 1), null, type), false);
            assertEquals(one, single.getShape());
            assertFinite(single);
        }
        // Every real token is then its own landmark: exact attention over the real tokens (conv off).
        NystromAttention exact = block(8, 30, 0, 8, 2, 16, DataType.FLOAT64);
        AttentionTesting.assertMatchesDense(manager, exact, (b, h, i, j) -> true, lengths, n, 2, 4, 9, 1e-6);
        // Empty landmarks change nothing even before convergence: 3 real tokens with 8 landmarks (5 empty) give,
        // after the paper's 6 iterations, exactly what 3 landmarks give (kernel 2 is [A, I], whose initial scaling
        // and iterates restricted to A are those of A alone).
        Shape shape = new Shape(2, 2, n, 4);
        NDArray q = normal(shape);
        NDArray k = normal(shape);
        NDArray v = normal(shape);
        AttentionContext ctx = AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, n, 3, 3), null,
                DataType.FLOAT64);
        NDArray real = AttentionTesting.paddingMask(manager, n, 3, 3).reshape(2, 1, n, 1);
        NDArray withEmpty = block(8, 6, 0, 8, 2, 16, DataType.FLOAT64).attendHeads(q, k, v, ctx, false);
        NDArray withoutEmpty = block(3, 6, 0, 8, 2, 16, DataType.FLOAT64).attendHeads(q, k, v, ctx, false);
        AttentionTesting.assertClose("empty landmarks", withoutEmpty.mul(real), withEmpty.mul(real), 1e-12);
    }

    @Test
    void convolutionAddsTheDepthwiseFilterOfTheRealValues() {
        // With one landmark per token and a converged pseudo-inverse the attention part is exact, so the difference
        // to dense attention is the convolution: out[t] - dense[t] = sum_o w[h, o] v[t + o - ks/2] over real t + o.
        int n = 9;
        int heads = 2;
        int d = 3;
        int ks = 5;
        int[] lengths = {n, 6};
        NystromAttention block = block(n, 30, ks, heads * d, heads, n, DataType.FLOAT64);
        Engine.getInstance().setRandomSeed(12);
        Shape shape = new Shape(lengths.length, heads, n, d);
        NDArray q = normal(shape);
        NDArray k = normal(shape);
        NDArray v = normal(shape);
        NDArray padding = AttentionTesting.paddingMask(manager, n, lengths);
        AttentionContext ctx = AttentionContext.fromMasks(padding, null, DataType.FLOAT64);
        NDArray real = padding.reshape(lengths.length, 1, n, 1);
        NDArray attention = AttentionTesting.dense(q, k, v,
                AttentionTesting.explicitMask(manager, (b, h, i, j) -> true, lengths, heads, n));
        NDArray residual = block.attendHeads(q, k, v, ctx, false).sub(attention).mul(real);

        double[] w = block.convolution().getArray().toDoubleArray();
        double[] values = v.toDoubleArray();
        double[] expected = new double[values.length];
        for (int b = 0; b < lengths.length; b++) {
            for (int h = 0; h < heads; h++) {
                for (int t = 0; t < lengths[b]; t++) {
                    for (int o = 0; o < ks; o++) {
                        int src = t + o - ks / 2;
                        if (src < 0 || src >= lengths[b]) {
                            continue;
                        }
                        for (int c = 0; c < d; c++) {
                            expected[((b * heads + h) * n + t) * d + c] +=
                                    w[h * ks + o] * values[((b * heads + h) * n + src) * d + c];
                        }
                    }
                }
            }
        }
        AttentionTesting.assertClose("convolution", manager.create(expected, shape), residual, 1e-6);
        assertTrue(residual.abs().sum().getDouble() > 1e-3, "the convolution must contribute");
    }
}
