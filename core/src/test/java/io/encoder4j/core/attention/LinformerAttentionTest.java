package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LinformerAttentionTest {

    private static final List<String> SHARINGS = AttentionConfig.LINFORMER_SHARING;

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static AttentionConfig config(String sharing, int k) {
        return AttentionConfig.of("linformer", "projected_length", k, "sharing", sharing, "dropout", 0);
    }

    private static LinformerAttention block(String sharing, int k, int hidden, int heads, int maxLength,
            DataType type) {
        return (LinformerAttention) AttentionTesting.block(manager, config(sharing, k), hidden, heads, maxLength,
                type);
    }

    /** Overwrites a projection (k, L) or (H, k, L) in place with {@code value} broadcast over the heads. */
    private static void setProjection(Parameter projection, NDArray value) {
        projection.getArray().muli(0).addi(value);
    }

    /** The projections listed among a block's parameters (its own, not its children's). */
    private static List<Pair<String, Parameter>> projections(SelfAttention block) {
        List<Pair<String, Parameter>> out = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getKey().contains("projection")) {
                out.add(p);
            }
        }
        return out;
    }

    @Test
    void identityProjectionsWithKEqualToTheLengthAreFullAttention() {
        // E = F = I (k = N = maxLength): K' = K and V' = V, so the block is softmax attention; outputs and gradients
        // with respect to q, k and v must match the dense reference.
        int n = 12;
        int heads = 2;
        for (String sharing : SHARINGS) {
            LinformerAttention block = block(sharing, n, 8, heads, n, DataType.FLOAT64);
            NDArray identity = manager.eye(n).toType(DataType.FLOAT64, false);
            setProjection(block.keyProjection(), identity);
            setProjection(block.valueProjection(), identity);
            AttentionTesting.assertMatchesDense(manager, block, (b, h, i, j) -> true, new int[] {n, n}, n, heads, 4,
                    11, 1e-9);
        }
    }

    /**
     * Error against full attention falls as k grows, on random inputs and fixed seeds. The projection is a JL-type
     * random sampling matrix (rows e_j for k distinct random positions, E = F): the block then estimates each query's
     * softmax expectation sum_j p_ij v_j by self-normalised sampling without replacement, an error of order
     * sqrt((N - k) / (N k)) that vanishes at k = N. (Gaussian E = F = G / sqrt(k) does not work here: the softmax
     * over k mixtures of keys flattens and the output tends to 0, so the relative error tends to 1, not 0.)
     */
    @Test
    void errorAgainstFullAttentionFallsAsTheProjectedLengthGrows() {
        int n = 256;
        int heads = 2;
        int d = 8;
        int[] ks = {8, 32, 128};
        double[] errors = new double[ks.length];
        int seeds = 3;
        for (int s = 0; s < seeds; s++) {
            Engine.getInstance().setRandomSeed(100 + s);
            Shape shape = new Shape(1, heads, n, d);
            NDArray q = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray k = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray v = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray reference = AttentionTesting.dense(q, k, v, manager.ones(new Shape(1, heads, n, n),
                    DataType.FLOAT64));
            AttentionContext ctx = AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, n, n), null,
                    DataType.FLOAT64);
            for (int i = 0; i < ks.length; i++) {
                LinformerAttention block = block("key_value", ks[i], heads * d, heads, n, DataType.FLOAT64);
                setProjection(block.keyProjection(), sampling(ks[i], n, new Random(31L * s + i)));
                NDArray out = block.attendHeads(q, k, v, ctx, false);
                errors[i] += AttentionTesting.relativeError(reference, out) / seeds;
            }
        }
        for (int i = 0; i + 1 < ks.length; i++) {
            assertTrue(errors[i] > 1.4 * errors[i + 1], "error at k=" + ks[i] + " (" + errors[i]
                    + ") not clearly above k=" + ks[i + 1] + " (" + errors[i + 1] + ")");
        }
    }

    /** (k, n) matrix whose rows select k distinct random positions. */
    private static NDArray sampling(int k, int n, Random random) {
        List<Integer> positions = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            positions.add(j);
        }
        java.util.Collections.shuffle(positions, random);
        double[] e = new double[k * n];
        for (int r = 0; r < k; r++) {
            e[r * n + positions.get(r)] = 1;
        }
        return manager.create(e, new Shape(k, n));
    }

    @Test
    void paddingDoesNotChangeRealOutputsAndEmptyRowsStayFinite() {
        for (String sharing : SHARINGS) {
            LinformerAttention block = block(sharing, 8, 16, 2, 32, DataType.FLOAT32);
            AttentionTesting.assertPaddingIndependent(manager, block, 16, 23, 5);
        }
        LinformerAttention block = block("heads", 8, 16, 2, 32, DataType.FLOAT64);
        Shape shape = new Shape(3, 2, 10, 8);
        AttentionContext ctx = AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, 10, 10, 3, 0), null,
                DataType.FLOAT64);
        NDArray out = block.attendHeads(manager.randomNormal(shape, DataType.FLOAT64),
                manager.randomNormal(shape, DataType.FLOAT64), manager.randomNormal(shape, DataType.FLOAT64), ctx,
                false);
        assertEquals(0, out.isNaN().logicalOr(out.isInfinite()).sum().getLong(), "non-finite output");
        // Length 1 (a single column of E and F).
        Shape one = new Shape(1, 2, 1, 8);
        NDArray single = block.attendHeads(manager.randomNormal(one, DataType.FLOAT64),
                manager.randomNormal(one, DataType.FLOAT64), manager.randomNormal(one, DataType.FLOAT64),
                AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, 1, 1), null, DataType.FLOAT64),
                false);
        assertEquals(one, single.getShape());
        assertEquals(0, single.isNaN().logicalOr(single.isInfinite()).sum().getLong(), "non-finite output");
    }

    @Test
    void layersSharingUsesLayerZerosMatrixEverywhereAndRegistersItOnce() {
        AttentionConfig config = config("layers", 4);
        LinformerAttention first = new LinformerAttention(new AttentionBuild(config, 8, 2, 10, 0, null));
        LinformerAttention second = new LinformerAttention(new AttentionBuild(config, 8, 2, 10, 1, first));
        for (SelfAttention block : List.of(first, second)) {
            block.setInitializer(new NormalInitializer(0.2f), Parameter.Type.WEIGHT);
            block.initialize(manager, DataType.FLOAT64, new Shape(1, 10, 8), new Shape(1, 10),
                    new Shape(1, 1, 1, 10));
        }
        assertEquals(1, projections(first).size());
        assertEquals(0, projections(second).size(), "later layers must not register the shared matrix");
        assertEquals(8, second.getParameters().size(), "only the four projections' weights and biases");
        Parameter shared = first.keyProjection();
        assertSame(shared, second.keyProjection());
        assertSame(shared, second.valueProjection());
        assertSame(shared.getArray(), projections(first).get(0).getValue().getArray());

        // Gradients of both layers accumulate in the one array: the gradient of the sum of two layers' losses is
        // the sum of the gradients of each.
        Engine.getInstance().setRandomSeed(3);
        NDArray x = manager.randomNormal(new Shape(2, 7, 8), DataType.FLOAT64);
        AttentionContext ctx = AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, 7, 7, 4), null,
                DataType.FLOAT64);
        NDArray both = sharedGradient(shared, ctx, x, first, second);
        NDArray onlyFirst = sharedGradient(shared, ctx, x, first);
        NDArray onlySecond = sharedGradient(shared, ctx, x, second);
        assertTrue(onlySecond.abs().sum().getDouble() > 0, "layer 1 must reach the shared matrix");
        AttentionTesting.assertClose("shared gradient", onlyFirst.add(onlySecond), both, 1e-10);
    }

    private static NDArray sharedGradient(Parameter shared, AttentionContext ctx, NDArray x,
            SelfAttention... layers) {
        NDArray gradient = shared.getArray().getGradient();
        gradient.muli(0);
        ParameterStore ps = new ParameterStore(manager, false);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (SelfAttention layer : layers) {
                NDArray l = layer.attend(ps, x, ctx, true).square().sum();
                loss = loss == null ? l : loss.add(l);
            }
            gc.backward(loss);
        }
        return shared.getArray().getGradient().duplicate();
    }

    @Test
    void perHeadAndSharedProjectionShapesAndInit() {
        int k = 16;
        int maxLength = 64;
        LinformerAttention perHead = block("per_head", k, 8, 2, maxLength, DataType.FLOAT64);
        List<Pair<String, Parameter>> ph = projections(perHead);
        assertEquals(2, ph.size());
        for (Pair<String, Parameter> p : ph) {
            assertEquals(new Shape(2, k, maxLength), p.getValue().getArray().getShape(), p.getKey());
        }
        assertNotSame(perHead.keyProjection(), perHead.valueProjection());
        LinformerAttention heads = block("heads", k, 8, 2, maxLength, DataType.FLOAT64);
        List<Pair<String, Parameter>> hs = projections(heads);
        assertEquals(2, hs.size());
        for (Pair<String, Parameter> p : hs) {
            assertEquals(new Shape(k, maxLength), p.getValue().getArray().getShape(), p.getKey());
        }
        LinformerAttention keyValue = block("key_value", k, 8, 2, maxLength, DataType.FLOAT64);
        assertEquals(1, projections(keyValue).size());
        assertSame(keyValue.keyProjection(), keyValue.valueProjection());

        // The reference xavier-normal init survives a block-wide weight initializer (the helper sets N(0, 0.2)).
        double expected = Math.sqrt(2.0 / (maxLength + k));
        NDArray e = perHead.keyProjection().getArray();
        double std = e.sub(e.mean()).square().mean().sqrt().getDouble();
        assertTrue(Math.abs(std - expected) < 0.1 * expected, "std " + std + ", expected " + expected);
    }

    @Test
    void invalidSharingAndTooLongSequencesAreRejected() {
        IllegalArgumentException sharing = assertThrows(IllegalArgumentException.class,
                () -> AttentionConfig.of("linformer", "sharing", "rows"));
        assertTrue(sharing.getMessage().startsWith("sharing must be one of"), sharing.getMessage());
        LinformerAttention block = block("heads", 4, 8, 2, 6, DataType.FLOAT64);
        Shape shape = new Shape(1, 2, 7, 4);
        NDArray x = manager.randomNormal(shape, DataType.FLOAT64);
        AttentionContext ctx = AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, 7, 7), null,
                DataType.FLOAT64);
        assertThrows(IllegalArgumentException.class, () -> block.attendHeads(x, x, x, ctx, false));
    }
}
