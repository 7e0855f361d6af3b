package io.encoder4j.core.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RandomFeatureAttentionTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static RandomFeatureAttention rfa(int features, boolean gate, long seed, int heads, int headSize,
            DataType type) {
        AttentionConfig config = AttentionConfig.of("rfa", "num_features", features, "gate", gate, "seed", seed,
                "dropout", 0);
        return (RandomFeatureAttention) AttentionTesting.block(manager, config, heads * headSize, heads, 256, type);
    }

    private static NDArray unit(NDArray x) {
        return x.div(x.square().sum(new int[] {-1}, true).sqrt());
    }

    @Test
    void withoutGateErrorAgainstSoftmaxOnUnitVectorsFallsAsFeaturesGrow() {
        int heads = 2;
        int d = 16;
        int n = 32;
        int[] budgets = {16, 64, 256, 1024};
        int seeds = 3;
        Engine.getInstance().setRandomSeed(31);
        Shape shape = new Shape(2, heads, n, d);
        NDArray q = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray k = manager.randomNormal(shape, DataType.FLOAT64);
        NDArray v = manager.randomNormal(shape, DataType.FLOAT64);
        AttentionContext ctx = AttentionContext.fromMasks(AttentionTesting.paddingMask(manager, n, n, n), null,
                DataType.FLOAT64);
        // The documented temperature: softmax(s² q̂·k̂) with s² = sqrt(D) / 2.
        double s2 = Math.sqrt(d) / 2;
        assertEquals(s2, rfa(8, false, 0, heads, d, DataType.FLOAT64).inverseTemperature(), 1e-12);
        NDArray exact = unit(q).mul(s2).matMul(unit(k).transpose(0, 1, 3, 2)).softmax(-1).matMul(v);
        double[] error = new double[budgets.length];
        for (int i = 0; i < budgets.length; i++) {
            for (long seed = 0; seed < seeds; seed++) {
                RandomFeatureAttention block = rfa(budgets[i], false, seed, heads, d, DataType.FLOAT64);
                error[i] += AttentionTesting.relativeError(exact, block.attendHeads(q, k, v, ctx, false)) / seeds;
            }
        }
        for (int i = 1; i < budgets.length; i++) {
            assertTrue(error[i] < 0.8 * error[i - 1], "error should fall with num_features: "
                    + Arrays.toString(error));
        }
        assertTrue(error[budgets.length - 1] < 0.2, "error at 1024 features: " + Arrays.toString(error));
    }

    @Test
    void chunkedBidirectionalGateEqualsThePerPositionRecurrence() {
        int heads = 2;
        int d = 4;
        int m = 6;
        // 150 = two full chunks of 64 and a partial one (state carried across chunks); 40 < one chunk.
        int[][] cases = {{150, 150, 97, 0}, {40, 40, 1, 23}};
        for (int[] c : cases) {
            int n = c[0];
            int[] lengths = Arrays.copyOfRange(c, 1, c.length);
            RandomFeatureAttention block = rfa(m, true, 7, heads, d, DataType.FLOAT64);
            Engine.getInstance().setRandomSeed(n);
            Shape shape = new Shape(lengths.length, heads, n, d);
            NDArray q = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray k = manager.randomNormal(shape, DataType.FLOAT64);
            NDArray v = manager.randomNormal(shape, DataType.FLOAT64);
            // Head 0: gates about 0.99 (the state carried across chunks matters); head 1: gates from about 0.01
            // to 0.99 (strong local decay next to long carries).
            NDArray logits = manager.randomNormal(new Shape(lengths.length, heads, n, 1), DataType.FLOAT64)
                    .mul(manager.create(new double[] {0.5, 3}, new Shape(1, heads, 1, 1)))
                    .add(manager.create(new double[] {5, 1}, new Shape(1, heads, 1, 1)));
            NDArray padding = AttentionTesting.paddingMask(manager, n, lengths);
            NDArray out = block.gatedAttention(q, k, v, logits, padding);
            LinearAttentionTest.assertFinite(out);
            double[] expected = naiveGated(block, q, k, v, logits, lengths);
            double[] actual = out.toDoubleArray();
            for (int b = 0; b < lengths.length; b++) {
                for (int h = 0; h < heads; h++) {
                    for (int t = 0; t < lengths[b]; t++) {
                        for (int e = 0; e < d; e++) {
                            int i = ((b * heads + h) * n + t) * d + e;
                            assertEquals(expected[i], actual[i], 1e-8, "n " + n + " b " + b + " h " + h + " t " + t);
                        }
                    }
                }
            }
        }
    }

    /**
     * The gated recurrence of eq. 7 run position by position in both directions (forward over j ≤ t, backward over
     * j &gt; t), with g = 1 and input weight 0 at padded positions, and the documented denominator clamp (the decay
     * cut-off at e^-30 of the implementation changes the result by far less than the tolerance).
     */
    private static double[] naiveGated(RandomFeatureAttention block, NDArray q, NDArray k, NDArray v, NDArray logits,
            int[] lengths) {
        Shape s = q.getShape();
        int bs = (int) s.get(0);
        int heads = (int) s.get(1);
        int n = (int) s.get(2);
        int d = (int) s.get(3);
        double[] w = block.featureMatrix().toDoubleArray();
        int m = w.length / d;
        double[] qa = q.toDoubleArray();
        double[] ka = k.toDoubleArray();
        double[] va = v.toDoubleArray();
        double[] la = logits.toDoubleArray();
        double kmin = Math.exp(-2 * Math.sqrt(d) / 2);
        double[] out = new double[qa.length];
        for (int b = 0; b < bs; b++) {
            for (int h = 0; h < heads; h++) {
                int base = (b * heads + h) * n;
                double[][] phiQ = new double[n][];
                double[][] phiK = new double[n][];
                double[] g = new double[n];
                double[] in = new double[n];
                for (int t = 0; t < n; t++) {
                    phiQ[t] = features(qa, (base + t) * d, d, w, m);
                    phiK[t] = features(ka, (base + t) * d, d, w, m);
                    boolean real = t < lengths[b];
                    double sig = 1 / (1 + Math.exp(-la[base + t]));
                    g[t] = real ? sig : 1;
                    in[t] = real ? 1 - sig : 0;
                }
                double[][] num = new double[n][d];
                double[] den = new double[n];
                // Σ log g over j ≤ t and over j > t: the documented floor uses -x / (1 - x) of each.
                double[] forwardLog = new double[n];
                double[] backwardLog = new double[n];
                // Forward: S_t = g_t S_{t-1} + (1 - g_t) φ(k_t) v_t^T, read at t (j ≤ t).
                double[][] state = new double[2 * m][d];
                double[] z = new double[2 * m];
                double logSum = 0;
                for (int t = 0; t < n; t++) {
                    update(state, z, g[t], in[t], phiK[t], va, (base + t) * d);
                    read(phiQ[t], state, z, num[t], den, t);
                    logSum += Math.log(g[t]);
                    forwardLog[t] = logSum;
                }
                // Backward: read before adding t (j > t).
                state = new double[2 * m][d];
                z = new double[2 * m];
                logSum = 0;
                for (int t = n - 1; t >= 0; t--) {
                    read(phiQ[t], state, z, num[t], den, t);
                    backwardLog[t] = logSum;
                    update(state, z, g[t], in[t], phiK[t], va, (base + t) * d);
                    logSum += Math.log(g[t]);
                }
                for (int t = 0; t < n; t++) {
                    double weight = -forwardLog[t] / (1 - forwardLog[t]) - backwardLog[t] / (1 - backwardLog[t]);
                    double clamped = Math.max(den[t], kmin * weight + RandomFeatureAttention.TINY);
                    for (int e = 0; e < d; e++) {
                        out[(base + t) * d + e] = num[t][e] / clamped;
                    }
                }
            }
        }
        return out;
    }

    private static double[] features(double[] x, int offset, int d, double[] w, int m) {
        double norm = 0;
        for (int c = 0; c < d; c++) {
            norm += x[offset + c] * x[offset + c];
        }
        norm = Math.sqrt(norm);
        double[] phi = new double[2 * m];
        for (int i = 0; i < m; i++) {
            double dot = 0;
            for (int c = 0; c < d; c++) {
                dot += w[i * d + c] * x[offset + c] / norm;
            }
            phi[i] = Math.sin(dot) / Math.sqrt(m);
            phi[m + i] = Math.cos(dot) / Math.sqrt(m);
        }
        return phi;
    }

    private static void update(double[][] state, double[] z, double g, double in, double[] phiK, double[] v,
            int offset) {
        for (int f = 0; f < z.length; f++) {
            z[f] = g * z[f] + in * phiK[f];
            for (int e = 0; e < state[f].length; e++) {
                state[f][e] = g * state[f][e] + in * phiK[f] * v[offset + e];
            }
        }
    }

    private static void read(double[] phiQ, double[][] state, double[] z, double[] num, double[] den, int t) {
        for (int f = 0; f < z.length; f++) {
            den[t] += phiQ[f] * z[f];
            for (int e = 0; e < num.length; e++) {
                num[e] += phiQ[f] * state[f][e];
            }
        }
    }

    @Test
    void gradientsReachTheGateParameters() {
        RandomFeatureAttention block = rfa(8, true, 1, 2, 4, DataType.FLOAT64);
        Engine.getInstance().setRandomSeed(2);
        NDArray x = manager.randomNormal(new Shape(2, 70, 8), DataType.FLOAT64);
        NDArray mask = AttentionTesting.paddingMask(manager, 70, 70, 33);
        AttentionContext ctx = AttentionContext.fromMasks(mask, null, DataType.FLOAT64);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray out = block.attend(new ParameterStore(manager, false), x, ctx, true);
            gc.backward(out.mul(manager.randomNormal(out.getShape(), DataType.FLOAT64)).sum());
        }
        int gates = 0;
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getKey().startsWith("gate_")) {
                gates++;
                NDArray grad = p.getValue().getArray().getGradient();
                assertNotNull(grad, p.getKey());
                LinearAttentionTest.assertFinite(grad);
                assertTrue(grad.abs().max().getDouble() > 1e-8, "gradient of " + p.getKey());
            }
        }
        assertEquals(2, gates, "gate_weight and gate_bias");
        assertTrue(!block.featureMatrix().hasGradient(), "random features are a buffer");
    }

    @Test
    void paddingDoesNotChangeRealOutputs() {
        for (boolean gate : new boolean[] {true, false}) {
            RandomFeatureAttention block = rfa(16, gate, 3, 2, 8, DataType.FLOAT32);
            AttentionTesting.assertPaddingIndependent(manager, block, 16, 23, 5);
            AttentionTesting.assertPaddingIndependent(manager, block, 16, 70, 6);
            AttentionTesting.assertPaddingIndependent(manager, block, 16, 1, 7);
        }
    }

    @Test
    void outputsAreFiniteWithoutRealKeys() {
        for (boolean gate : new boolean[] {true, false}) {
            RandomFeatureAttention block = rfa(16, gate, 3, 2, 8, DataType.FLOAT32);
            Engine.getInstance().setRandomSeed(4);
            NDArray x = manager.randomNormal(new Shape(2, 9, 16)).mul(30);
            NDArray mask = AttentionTesting.paddingMask(manager, 9, 9, 0).toType(DataType.FLOAT32, false);
            NDArray out = block.attend(new ParameterStore(manager, false), x, AttentionContext.fromPaddingMask(mask),
                    false);
            LinearAttentionTest.assertFinite(out);
        }
    }
}
