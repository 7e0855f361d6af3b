package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LongShortAttentionTest {

    private static final int HIDDEN = 12;
    private static final int HEADS = 2;
    private static final int D = HIDDEN / HEADS;
    private static final int MAX = 24;

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static AttentionConfig config(int window, int rank) {
        return AttentionConfig.of(LongShortAttention.NAME, "window", window, "rank", rank, "dropout", 0);
    }

    /** A float64 block whose LayerNorm gammas and betas are random too, so that the reference exercises them. */
    private static SelfAttention randomBlock(int window, int rank) {
        SelfAttention block = AttentionRegistry.create(AttentionBuild.of(config(window, rank), HIDDEN, HEADS, MAX));
        for (Parameter.Type type : new Parameter.Type[] {
                Parameter.Type.WEIGHT, Parameter.Type.BIAS, Parameter.Type.GAMMA, Parameter.Type.BETA}) {
            block.setInitializer(new NormalInitializer(0.5f), type);
        }
        block.initialize(manager, DataType.FLOAT64, new Shape(1, MAX, HIDDEN), new Shape(1, MAX),
                new Shape(1, 1, 1, MAX));
        return block;
    }

    /** Textbook LayerNorm over the last axis. */
    private static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        NDArray centred = x.sub(x.mean(new int[] {-1}, true));
        NDArray variance = centred.mul(centred).mean(new int[] {-1}, true);
        return centred.div(variance.add((double) LongShortAttention.LAYER_NORM_EPS).sqrt()).mul(gamma).add(beta);
    }

    private static NDArray attached(NDArray x) {
        NDArray y = x.duplicate();
        y.setRequiresGradient(true);
        return y;
    }

    /**
     * Dense reference: one softmax over [the window keys |i - j| <= w/2 (an explicit N x N mask) ; the r global
     * keys], with LN_L on the local keys/values and LN_G on K̄ = P^T K, V̄ = P^T V, P = softmax_N(K W_p).
     */
    private static NDArray reference(NDArray q, NDArray k, NDArray v, NDArray[] w, int[] lengths, int window) {
        int n = (int) q.getShape().get(2);
        int b = lengths.length;
        NDArray padding = AttentionTesting.paddingMask(manager, n, lengths);
        NDArray p = k.matMul(w[0]).add(padding.neg().add(1).mul(-1e30).reshape(b, 1, n, 1)).softmax(2);
        NDArray pt = p.transpose(0, 1, 3, 2);
        NDArray kBar = layerNorm(pt.matMul(k), w[3], w[4]);
        NDArray vBar = layerNorm(pt.matMul(v), w[3], w[4]);
        NDArray kLocal = layerNorm(k, w[1], w[2]);
        NDArray vLocal = layerNorm(v, w[1], w[2]);
        NDArray band = AttentionTesting.explicitMask(manager, (bb, h, i, j) -> Math.abs(i - j) <= window / 2,
                lengths, HEADS, n);
        NDArray localScores = q.matMul(kLocal.transpose(0, 1, 3, 2)).add(band.neg().add(1).mul(-1e30));
        NDArray globalScores = q.matMul(kBar.transpose(0, 1, 3, 2));
        // 1/sqrt(D) as a tensor kept in the manager: a div(Number) scalar is freed before the backward pass reads it
        // (see LongShortAttention.scalar).
        NDArray probs = localScores.concat(globalScores, 3).mul(manager.create(1 / Math.sqrt(D))).softmax(-1);
        return probs.matMul(vLocal.concat(vBar, 2));
    }

    private static final String[] PARAMS = {
        "dynamic_projection", "local_norm_gamma", "local_norm_beta", "global_norm_gamma", "global_norm_beta"};

    @Test
    void jointSoftmaxEqualsDenseReferenceWithGradients() {
        // N = 1, N < r, N not a multiple of w/2, N = max; r = 5 global keys, w/2 = 3.
        int window = 6;
        int rank = 5;
        for (int n : new int[] {1, 4, 7, 13, MAX}) {
            SelfAttention block = randomBlock(window, rank);
            ParameterList params = block.getParameters();
            int[] lengths = {n, (n + 1) / 2, 1, 0};
            Engine.getInstance().setRandomSeed(n);
            Shape shape = new Shape(lengths.length, HEADS, n, D);
            NDArray q0 = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray k0 = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray v0 = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray weights = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray padding = AttentionTesting.paddingMask(manager, n, lengths);
            NDArray realQueries = padding.reshape(lengths.length, 1, n, 1);
            AttentionContext ctx = AttentionContext.fromMasks(padding, null, DataType.FLOAT64);
            NDArray[] a = {attached(q0), attached(k0), attached(v0)};
            NDArray[] r = {attached(q0), attached(k0), attached(v0)};
            NDArray[] w = new NDArray[PARAMS.length];
            for (int i = 0; i < PARAMS.length; i++) {
                w[i] = attached(params.get(PARAMS[i]).getArray());
            }
            NDArray out;
            NDArray ref;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                out = block.attendHeads(a[0], a[1], a[2], ctx, false);
                ref = reference(r[0], r[1], r[2], w, lengths, window);
                // A collection between forward and backward frees whatever the graph keeps on Java buffers that DJL closed
                // (scalars of Number arguments): the gradients below then catch it.
                System.gc();
                gc.backward(out.mul(weights).mul(realQueries).sum()
                        .add(ref.mul(weights).mul(realQueries).sum()));
            }
            assertEquals(shape, out.getShape());
            assertEquals(0, out.isNaN().logicalOr(out.isInfinite()).sum().getLong(), "non-finite output");
            AttentionTesting.assertClose("output N=" + n, ref.mul(realQueries), out.mul(realQueries), 1e-9);
            String[] names = {"dq", "dk", "dv"};
            for (int i = 0; i < 3; i++) {
                AttentionTesting.assertClose(names[i] + " N=" + n, r[i].getGradient(), a[i].getGradient(), 1e-9);
            }
            for (int i = 0; i < PARAMS.length; i++) {
                NDArray grad = params.get(PARAMS[i]).getArray().getGradient();
                AttentionTesting.assertClose(PARAMS[i] + " N=" + n, w[i].getGradient(), grad, 1e-9);
                // (With N = 1, P = 1 whatever W_p is.)
                assertTrue(n == 1 || grad.abs().sum().getDouble() > 0, PARAMS[i] + " gets no gradient");
            }
        }
    }

    @Test
    void paddingDoesNotChangeRealOutputs() {
        SelfAttention block = AttentionTesting.block(manager, config(6, 4), 16, 2, 64, DataType.FLOAT32);
        AttentionTesting.assertPaddingIndependent(manager, block, 16, 23, 5);
        AttentionTesting.assertPaddingIndependent(manager, block, 16, 3, 6);
    }

    @Test
    void everyLengthFromOneToMaxWorksInBothFloatTypes() {
        // Every length in float32 (w/2 = 2, r = 8 > N for short inputs); a few in float64, whose exactness the
        // dense comparison checks.
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            SelfAttention block = AttentionTesting.block(manager, config(4, 8), HIDDEN, HEADS, MAX, type);
            ParameterStore ps = new ParameterStore(manager, false);
            int[] lengths = type == DataType.FLOAT32 ? IntStream.rangeClosed(1, MAX).toArray()
                    : new int[] {1, 5, MAX};
            for (int n : lengths) {
                NDArray x = manager.randomNormal(new Shape(2, n, HIDDEN)).toType(type, false);
                NDArray mask = AttentionTesting.paddingMask(manager, n, n, (n + 1) / 2);
                NDArray out = block.attend(ps, x, AttentionContext.fromMasks(mask, null, type), false);
                assertEquals(new Shape(2, n, HIDDEN), out.getShape());
                assertEquals(type, out.getDataType());
                assertEquals(0, out.isNaN().logicalOr(out.isInfinite()).sum().getLong(), "non-finite at N=" + n);
            }
        }
    }

    @Test
    void dynamicProjectionPerHeadAndTwoLayerNorms() {
        SelfAttention block = AttentionTesting.block(manager, config(4, 3), HIDDEN, HEADS, MAX, DataType.FLOAT32);
        ParameterList params = block.getParameters();
        Parameter projection = params.get("dynamic_projection");
        assertEquals(new Shape(HEADS, D, 3), projection.getArray().getShape());
        assertEquals(Parameter.Type.WEIGHT, projection.getType());
        assertTrue(projection.requiresGradient());
        for (String branch : new String[] {"local", "global"}) {
            Parameter gamma = params.get(branch + "_norm_gamma");
            Parameter beta = params.get(branch + "_norm_beta");
            assertEquals(Parameter.Type.GAMMA, gamma.getType());
            assertEquals(Parameter.Type.BETA, beta.getType());
            assertEquals(new Shape(D), gamma.getArray().getShape());
            assertEquals(new Shape(D), beta.getArray().getShape());
            // LayerNorm starts as the identity affine map.
            assertEquals(D, gamma.getArray().sum().getFloat(), 0f);
            assertEquals(0f, beta.getArray().abs().sum().getFloat(), 0f);
        }
        assertNotSame(params.get("local_norm_gamma").getArray(), params.get("global_norm_gamma").getArray());
        // Keys and values are still projected: four (E, E) projections plus the five parameters above.
        assertEquals(4 * 2 + 5, params.size());
    }
}
