package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import ai.djl.util.Pair;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GlobalAttentionTest {

    private static final int E = 8;
    private static final int H = 2;
    private static final int N = 13;
    private static final int MAX = 16;

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static NDArray linear(NDArray x, Map<String, NDArray> w, String name) {
        return x.matMul(w.get(name + "_weight").transpose()).add(w.get(name + "_bias"));
    }

    /**
     * Longformer's rule written densely: a non-global query sees its local pattern minus the global keys plus every
     * global key (local projections); a global query sees every real key through the global projections.
     */
    private static NDArray reference(GlobalAttention block, NDArray x, int[] lengths, boolean[][] global,
            AttentionTesting.Pattern local) {
        Map<String, NDArray> w = new HashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            w.put(p.getKey().replaceAll("^\\d+", ""), p.getValue().getArray());
        }
        NDArray q = Heads.split(linear(x, w, "query"), H);
        NDArray k = Heads.split(linear(x, w, "key"), H);
        NDArray v = Heads.split(linear(x, w, "value"), H);
        NDArray qg = Heads.split(linear(x, w, "query_global"), H);
        NDArray kg = Heads.split(linear(x, w, "key_global"), H);
        NDArray vg = Heads.split(linear(x, w, "value_global"), H);
        AttentionTesting.Pattern localRows = (b, h, i, j) ->
                global[b][j] || (local.visible(b, h, i, j) && !global[b][j]);
        NDArray localOut = AttentionTesting.dense(q, k, v,
                AttentionTesting.explicitMask(manager, localRows, lengths, H, N));
        NDArray globalOut = AttentionTesting.dense(qg, kg, vg,
                AttentionTesting.explicitMask(manager, (b, h, i, j) -> true, lengths, H, N));
        double[] isGlobal = new double[lengths.length * N];
        for (int b = 0; b < lengths.length; b++) {
            for (int i = 0; i < N; i++) {
                isGlobal[b * N + i] = global[b][i] && i < lengths[b] ? 1 : 0;
            }
        }
        NDArray g = manager.create(isGlobal, new Shape(lengths.length, 1, N, 1));
        NDArray context = localOut.mul(g.neg().add(1)).add(globalOut.mul(g));
        return linear(Heads.merge(context), w, "output");
    }

    private void check(AttentionConfig config, java.util.function.Function<SelfAttention, AttentionTesting.Pattern>
            localPattern) {
        GlobalAttention block = (GlobalAttention) AttentionTesting.block(manager, config, E, H, MAX,
                DataType.FLOAT64);
        int[] lengths = {N, 9, 0};
        boolean[][] global = new boolean[3][N];
        global[0][0] = true;
        global[0][5] = true;
        global[0][12] = true;
        global[1][0] = true;
        global[1][11] = true; // beyond the length: padding, ignored
        double[] g = new double[3 * N];
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < N; i++) {
                g[b * N + i] = global[b][i] ? 1 : 0;
            }
        }
        global[1][11] = false;
        Engine.getInstance().setRandomSeed(3);
        NDArray x0 = manager.randomNormal(new Shape(3, N, E), DataType.FLOAT64);
        NDArray padding = AttentionTesting.paddingMask(manager, N, lengths);
        AttentionContext ctx = AttentionContext.fromMasks(padding, manager.create(g, new Shape(3, N)),
                DataType.FLOAT64);
        NDArray weights = manager.randomNormal(new Shape(3, N, E), DataType.FLOAT64)
                .mul(padding.reshape(3, N, 1));
        NDArray xa = x0.duplicate();
        NDArray xr = x0.duplicate();
        xa.setRequiresGradient(true);
        xr.setRequiresGradient(true);
        NDArray out;
        NDArray ref;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = block.attend(new ParameterStore(manager, false), xa, ctx, false);
            ref = reference(block, xr, lengths, global, localPattern.apply(block.local()));
            gc.backward(out.mul(weights).sum().add(ref.mul(weights).sum()));
        }
        NDArray real = padding.reshape(3, N, 1);
        AttentionTesting.assertClose("output", ref.mul(real), out.mul(real), 1e-6);
        AttentionTesting.assertClose("dx", xr.getGradient(), xa.getGradient(), 1e-6);
        assertEquals(0, out.isNaN().sum().getLong());
    }

    @Test
    void slidingWindowWithGlobalTokensEqualsTheDenseRule() {
        check(AttentionConfig.of("global", "window", 4, "dilation", java.util.List.of(1, 2), "dropout", 0),
                local -> SlidingWindowAttentionTest.window(4, new int[] {1, 2}));
    }

    @Test
    void blockwiseAndBigBirdAndFullTakeGlobalTokensToo() {
        check(AttentionConfig.of("global", "local", "blockwise", "num_blocks", 4, "dropout", 0),
                local -> BlockwiseAttentionTest.pattern((BlockwiseAttention) local));
        check(AttentionConfig.of("global", "local", "bigbird", "block_size", 2, "num_random_blocks", 1,
                        "dropout", 0),
                local -> (b, h, i, j) -> ((BigBirdAttention) local).visible(h, i, j));
        check(AttentionConfig.of("global", "local", "full", "dropout", 0), local -> (b, h, i, j) -> true);
    }

    @Test
    void withoutGlobalTokensItIsTheLocalPattern() {
        SelfAttention block = AttentionTesting.block(manager, AttentionConfig.of("global", "window", 4), E, H, MAX,
                DataType.FLOAT32);
        NDArray x = manager.randomNormal(new Shape(2, N, E));
        NDArray padding = AttentionTesting.paddingMask(manager, N, N, 7).toType(DataType.FLOAT32, false);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray none = block.attend(ps, x, AttentionContext.fromPaddingMask(padding), false);
        NDArray zeros = block.attend(ps, x, AttentionContext.fromMasks(padding, manager.zeros(new Shape(2, N)),
                DataType.FLOAT32), false);
        AttentionTesting.assertClose("no global tokens", none, zeros, 0);
        AttentionTesting.assertPaddingIndependent(manager, block, E, N, 9);
        assertTrue(block.getParameters().keys().stream().anyMatch(k -> k.endsWith("query_global_weight")));
    }

    @Test
    void unknownLocalPatternIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AttentionConfig.of("global", "local", "linformer"));
        assertTrue(e.getMessage().startsWith("local must be one of"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AttentionConfig.of("global", "num_features", 8));
    }
}
