package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RoPE against its formula in float64, the relative-position property, and its reach into every mechanism. */
class RotaryEmbeddingTest {

    private static final int E = 8;
    private static final int H = 2;
    private static final int D = E / H;
    private static final int N = 12;

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static NDArray positions(long[] values, int b, int n) {
        return manager.create(values, new Shape(b, n));
    }

    private static NDArray range(int b, int n, long offset) {
        long[] p = new long[b * n];
        for (int i = 0; i < p.length; i++) {
            p[i] = i % n + offset;
        }
        return positions(p, b, n);
    }

    @Test
    void rotationIsTheRoformerFormulaInFloat64() {
        Random random = new Random(3);
        int b = 2;
        int h = 2;
        int n = 5;
        int d = 8;
        long[] p = new long[b * n];
        for (int i = 0; i < p.length; i++) {
            p[i] = random.nextInt(5000);
        }
        Engine.getInstance().setRandomSeed(3);
        NDArray x = manager.randomNormal(new Shape(b, h, n, d), DataType.FLOAT64);
        RotaryEmbedding rope = RotaryEmbedding.of(positions(p, b, n), d, 10000, DataType.FLOAT64);
        double[] out = rope.rotate(x).toDoubleArray();
        double[] in = x.toDoubleArray();
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                for (int ni = 0; ni < n; ni++) {
                    int row = ((bi * h + hi) * n + ni) * d;
                    for (int i = 0; i < d / 2; i++) {
                        double angle = p[bi * n + ni] * Math.pow(10000, -2.0 * i / d);
                        double x1 = in[row + i];
                        double x2 = in[row + i + d / 2];
                        assertEquals(x1 * Math.cos(angle) - x2 * Math.sin(angle), out[row + i], 1e-12);
                        assertEquals(x2 * Math.cos(angle) + x1 * Math.sin(angle), out[row + i + d / 2], 1e-12);
                    }
                }
            }
        }
        // Rows rotated at their own positions equal the same rows of the full rotation.
        NDArray index = manager.create(new long[] {4, 1, 0, 3}, new Shape(b, 1, 2));
        AttentionTesting.assertClose("rotateAt", Rows.take(rope.rotate(x), index),
                rope.rotateAt(Rows.take(x, index), index), 1e-14);
    }

    @Test
    void scoresDependOnlyOnTheOffsetBetweenPositions() {
        Engine.getInstance().setRandomSeed(4);
        NDArray q = manager.randomNormal(new Shape(1, 1, N, D), DataType.FLOAT64);
        NDArray k = manager.randomNormal(new Shape(1, 1, N, D), DataType.FLOAT64);
        NDArray scores = null;
        for (long shift : new long[] {0, 37, 4000}) {
            RotaryEmbedding rope = RotaryEmbedding.of(range(1, N, shift), D, 10000, DataType.FLOAT64);
            NDArray s = rope.rotate(q).matMul(rope.rotate(k).transpose(0, 1, 3, 2));
            if (scores == null) {
                scores = s;
            } else {
                AttentionTesting.assertClose("scores shifted by " + shift, scores, s, 1e-10);
            }
        }
        // The same query and key vector at every position: score (i, j) is a function of j - i alone.
        NDArray same = q.get(":, :, 0:1, :").repeat(2, N);
        NDArray otherSame = k.get(":, :, 0:1, :").repeat(2, N);
        RotaryEmbedding rope = RotaryEmbedding.of(range(1, N, 0), D, 10000, DataType.FLOAT64);
        double[] s = rope.rotate(same).matMul(rope.rotate(otherSame).transpose(0, 1, 3, 2)).toDoubleArray();
        double spread = 0;
        for (int i = 0; i + 1 < N; i++) {
            for (int j = 0; j + 1 < N; j++) {
                assertEquals(s[i * N + j], s[(i + 1) * N + j + 1], 1e-12, "(" + i + ", " + j + ")");
                spread = Math.max(spread, Math.abs(s[i * N + j] - s[0]));
            }
        }
        assertTrue(spread > 1e-3, "scores must depend on the offset at all");
    }

    private static NDArray linear(NDArray x, Map<String, NDArray> w, String name) {
        return x.matMul(w.get(name + "_weight").transpose()).add(w.get(name + "_bias"));
    }

    @Test
    void fullAttentionWithRopeIsSoftmaxOverRotatedQueriesAndKeys() {
        SelfAttention block = AttentionTesting.block(manager, AttentionConfig.full(0f), E, H, N, DataType.FLOAT64);
        Engine.getInstance().setRandomSeed(5);
        int[] lengths = {N, 7};
        NDArray x = manager.randomNormal(new Shape(2, N, E), DataType.FLOAT64);
        NDArray padding = AttentionTesting.paddingMask(manager, N, lengths);
        RotaryEmbedding rope = RotaryEmbedding.of(range(2, N, 0), D, 10000, DataType.FLOAT64);
        AttentionContext ctx = AttentionContext.fromMasks(padding, null, DataType.FLOAT64).withRotary(rope);
        NDArray out = block.attend(new ParameterStore(manager, false), x, ctx, false);

        Map<String, NDArray> w = new HashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            w.put(p.getKey().replaceAll("^\\d+", ""), p.getValue().getArray());
        }
        NDArray q = rope.rotate(Heads.split(linear(x, w, "query"), H));
        NDArray k = rope.rotate(Heads.split(linear(x, w, "key"), H));
        NDArray v = Heads.split(linear(x, w, "value"), H);
        NDArray mask = AttentionTesting.explicitMask(manager, (b, h, i, j) -> true, lengths, H, N);
        NDArray expected = linear(Heads.merge(AttentionTesting.dense(q, k, v, mask)), w, "output");
        NDArray real = padding.reshape(2, N, 1);
        AttentionTesting.assertClose("full attention with rope", expected.mul(real), out.mul(real), 1e-10);
    }

    /** A small config of every registered mechanism. */
    private static Map<String, AttentionConfig> mechanisms() {
        Map<String, AttentionConfig> c = new LinkedHashMap<>();
        c.put("full", AttentionConfig.of("full", "dropout", 0.0));
        c.put("sliding_window", AttentionConfig.of("sliding_window", "dropout", 0.0, "window", 4));
        c.put("blockwise", AttentionConfig.of("blockwise", "dropout", 0.0, "num_blocks", 2));
        c.put("bigbird", AttentionConfig.of("bigbird", "dropout", 0.0, "block_size", 2, "num_random_blocks", 1));
        c.put("global", AttentionConfig.of("global", "dropout", 0.0, "local", "sliding_window", "window", 4));
        c.put("lsh", AttentionConfig.of("lsh", "dropout", 0.0, "chunk_size", 4, "num_buckets", 2));
        c.put("long_short", AttentionConfig.of("long_short", "dropout", 0.0, "window", 4, "rank", 2));
        c.put("linformer", AttentionConfig.of("linformer", "dropout", 0.0, "projected_length", 4));
        c.put("nystrom", AttentionConfig.of("nystrom", "dropout", 0.0, "num_landmarks", 4, "conv_kernel", 0));
        c.put("linear", AttentionConfig.of("linear", "dropout", 0.0));
        c.put("performer", AttentionConfig.of("performer", "dropout", 0.0, "num_features", 16));
        c.put("rfa", AttentionConfig.of("rfa", "dropout", 0.0, "num_features", 16, "gate", true));
        assertEquals(AttentionRegistry.names(), c.keySet().stream().collect(java.util.stream.Collectors.toSet()),
                "a mechanism was added: give it a config here");
        return c;
    }

    /**
     * Every mechanism rotates its queries and keys (its output changes with the positions), and the exact patterns,
     * whose scores are q_i R_(j-i) k_j, give the same output when every position moves by the same offset.
     */
    @Test
    void everyMechanismTakesRotaryPositions() {
        List<String> exact = List.of("full", "sliding_window", "blockwise", "bigbird", "global");
        int[] lengths = {N, 9};
        NDArray padding = AttentionTesting.paddingMask(manager, N, lengths);
        double[] g = new double[2 * N];
        g[0] = 1;
        g[N + 5] = 1;
        NDArray globalMask = manager.create(g, new Shape(2, N));
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray real = padding.reshape(2, N, 1);
        for (Map.Entry<String, AttentionConfig> e : mechanisms().entrySet()) {
            String name = e.getKey();
            SelfAttention block = AttentionTesting.block(manager, e.getValue(), E, H, N, DataType.FLOAT64);
            Engine.getInstance().setRandomSeed(6);
            NDArray x = manager.randomNormal(new Shape(2, N, E), DataType.FLOAT64);
            AttentionContext ctx = AttentionContext.fromMasks(padding, name.equals("global") ? globalMask : null,
                    DataType.FLOAT64);
            NDArray plain = block.attend(ps, x, ctx, false).mul(real);
            NDArray rotated = block.attend(ps, x, ctx.withRotary(
                    RotaryEmbedding.of(range(2, N, 0), D, 10000, DataType.FLOAT64)), false).mul(real);
            double change = plain.sub(rotated).abs().max().getDouble();
            assertTrue(change > 1e-4, name + ": rotary positions changed nothing (" + change + ")");
            if (exact.contains(name)) {
                NDArray shifted = block.attend(ps, x, ctx.withRotary(
                        RotaryEmbedding.of(range(2, N, 1000), D, 10000, DataType.FLOAT64)), false).mul(real);
                AttentionTesting.assertClose(name + " shifted positions", rotated, shifted, 1e-9);
            }
        }
    }
}
