package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.Pair;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FullAttentionTest {

    private static final int B = 2;
    private static final int N = 7;
    private static final int E = 16;
    private static final int H = 4;

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        Engine.getInstance().setRandomSeed(7);
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static FullAttention block() {
        FullAttention attention = new FullAttention(AttentionBuild.of(AttentionConfig.full(0f), E, H, N));
        attention.setInitializer(new NormalInitializer(0.2f), Parameter.Type.WEIGHT);
        attention.setInitializer(new NormalInitializer(0.2f), Parameter.Type.BIAS);
        attention.initialize(manager, DataType.FLOAT32, new Shape(B, N, E), new Shape(B, N),
                new Shape(B, 1, 1, N));
        return attention;
    }

    /** Lengths 7 and 4: the second sequence has 3 padded positions. */
    private static NDArray paddingMask() {
        return manager.create(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, new Shape(B, N));
    }

    private static float[] attend(FullAttention attention, NDArray x, NDArray mask) {
        ParameterStore ps = new ParameterStore(manager, false);
        AttentionContext ctx = AttentionContext.fromPaddingMask(mask);
        return attention.attend(ps, x, ctx, false).toFloatArray();
    }

    @Test
    void matchesDenseFloat64ReferenceWithExplicitMask() {
        FullAttention attention = block();
        NDArray x = manager.randomNormal(new Shape(B, N, E));
        NDArray mask = paddingMask();
        float[] actual = attend(attention, x, mask);

        // Reference: the textbook formula in float64 with an explicit (B, N, N) boolean mask matrix.
        Map<String, NDArray> w = new HashMap<>();
        for (Pair<String, Parameter> p : attention.getParameters()) {
            w.put(p.getKey().replaceAll("^\\d+", ""), p.getValue().getArray().toType(DataType.FLOAT64, true));
        }
        NDArray xd = x.toType(DataType.FLOAT64, true);
        NDArray q = linear(xd, w, "query");
        NDArray k = linear(xd, w, "key");
        NDArray v = linear(xd, w, "value");
        int d = E / H;
        double[] out = new double[B * N * E];
        float[] m = mask.toFloatArray();
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                NDArray qh = q.get(new NDIndex("{}, :, {}:{}", b, h * d, (h + 1) * d));
                NDArray kh = k.get(new NDIndex("{}, :, {}:{}", b, h * d, (h + 1) * d));
                NDArray vh = v.get(new NDIndex("{}, :, {}:{}", b, h * d, (h + 1) * d));
                double[] scores = qh.matMul(kh.transpose()).div(Math.sqrt(d)).toDoubleArray();
                double[] vals = vh.toDoubleArray();
                for (int i = 0; i < N; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < N; j++) {
                        if (m[b * N + j] > 0) {
                            max = Math.max(max, scores[i * N + j]);
                        }
                    }
                    double z = 0;
                    double[] p = new double[N];
                    for (int j = 0; j < N; j++) {
                        p[j] = m[b * N + j] > 0 ? Math.exp(scores[i * N + j] - max) : 0;
                        z += p[j];
                    }
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j < N; j++) {
                            acc += p[j] / z * vals[j * d + c];
                        }
                        out[(b * N + i) * E + h * d + c] = acc;
                    }
                }
            }
        }
        NDArray context = manager.create(out, new Shape(B, N, E));
        double[] expected = linear(context, w, "output").toDoubleArray();
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) < 1e-5,
                    "element " + i + ": expected " + expected[i] + " got " + actual[i]);
        }
    }

    private static NDArray linear(NDArray x, Map<String, NDArray> w, String name) {
        return x.matMul(w.get(name + "_weight").transpose()).add(w.get(name + "_bias"));
    }

    @Test
    void paddedPositionsChangeNoOutputOfRealPositions() {
        FullAttention attention = block();
        NDArray x = manager.randomNormal(new Shape(B, N, E));
        NDArray mask = paddingMask();
        float[] before = attend(attention, x, mask);
        // Overwrite the padded positions of sequence 1 (positions 4..6) with other values.
        NDArray changed = x.duplicate();
        changed.set(new NDIndex("1, 4:, :"), manager.randomNormal(new Shape(3, E)).mul(10));
        float[] after = attend(attention, changed, mask);
        for (int b = 0; b < B; b++) {
            int real = b == 0 ? N : 4;
            for (int i = 0; i < real * E; i++) {
                int idx = b * N * E + i;
                assertTrue(Math.abs(before[idx] - after[idx]) < 1e-6, "position changed at " + idx);
            }
        }
    }

    @Test
    void extraPaddingLeavesOutputsUnchanged() {
        FullAttention attention = block();
        NDArray x = manager.randomNormal(new Shape(1, 4, E));
        float[] short4 = attend(attention, x, manager.ones(new Shape(1, 4)));
        NDArray padded = x.concat(manager.randomNormal(new Shape(1, 3, E)), 1);
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 0, 0, 0}, new Shape(1, 7));
        float[] long7 = attend(attention, padded, mask);
        float[] realPart = new float[4 * E];
        System.arraycopy(long7, 0, realPart, 0, realPart.length);
        assertArrayEquals(short4, realPart, 1e-5f);
    }

    @Test
    void blockFormTakesHiddenAndMasks() {
        FullAttention attention = block();
        NDArray x = manager.randomNormal(new Shape(B, N, E));
        AttentionContext ctx = AttentionContext.fromPaddingMask(paddingMask());
        NDList out = attention.forward(new ParameterStore(manager, false),
                new NDList(x, ctx.paddingMask(), ctx.additiveKeyMask()), false);
        assertArrayEquals(attend(attention, x, paddingMask()), out.singletonOrThrow().toFloatArray(), 1e-6f);
    }

    /**
     * Mixed precision builds the masks in FP16, where -1e9 rounds to -inf: the FP16 mask is 0 at tokens and the finite
     * {@link AttentionMasks#MASKED_SCORE_FP16} at padding. FP16 attention itself is compared with FP32 for every
     * mechanism that trains in FP16 in {@code Float16AttentionTest}.
     */
    @Test
    void float16MasksAreFinite() {
        AttentionContext half = AttentionContext.fromMasks(paddingMask(), null, DataType.FLOAT16);
        assertEquals(DataType.FLOAT16, half.additiveKeyMask().getDataType());
        float[] additive = half.additiveKeyMask().toType(DataType.FLOAT32, false).toFloatArray();
        float[] padding = paddingMask().toFloatArray();
        for (int i = 0; i < additive.length; i++) {
            assertEquals(padding[i] == 1 ? 0f : AttentionMasks.MASKED_SCORE_FP16, additive[i], 0f, "position " + i);
        }
    }
}
