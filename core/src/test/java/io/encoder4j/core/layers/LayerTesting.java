package io.encoder4j.core.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.Pair;
import io.encoder4j.core.attention.AttentionBuild;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.AttentionRegistry;
import java.util.LinkedHashMap;
import java.util.Map;

/** Building small float64 layers and comparing their gradients. */
final class LayerTesting {

    private LayerTesting() {}

    /** A layer of the given attention, N(0, 0.3) weights and biases, initialised in float64 for (B, N, E) inputs. */
    static TransformerLayer layer(NDManager manager, AttentionConfig attention, int hidden, int heads, int n,
            int layerIndex, float dropout, boolean preNorm, int chunk, boolean gated) {
        TransformerLayer layer = new TransformerLayer(
                AttentionRegistry.create(new AttentionBuild(attention, hidden, heads, n, layerIndex, null)),
                new FeedForward(hidden, 2 * hidden, gated), dropout, 1e-5f, preNorm, chunk);
        layer.setInitializer(new NormalInitializer(0.3f), Parameter.Type.WEIGHT);
        layer.setInitializer(new NormalInitializer(0.3f), Parameter.Type.BIAS);
        layer.initialize(manager, DataType.FLOAT64, new Shape(2, n, hidden), new Shape(2, n), new Shape(2, 1, 1, n));
        return layer;
    }

    /** A copy of every parameter's gradient, by name, then zeroes them. */
    static Map<String, double[]> takeGradients(Iterable<Pair<String, Parameter>> parameters) {
        Map<String, double[]> grads = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : parameters) {
            NDArray array = p.getValue().getArray();
            if (!p.getValue().requiresGradient()) {
                continue;
            }
            try (NDArray g = array.getGradient()) {
                grads.put(p.getKey(), g.toType(DataType.FLOAT64, false).toDoubleArray());
                g.subi(g);
            }
        }
        return grads;
    }

    static void assertSameGradients(Map<String, double[]> expected, Map<String, double[]> actual, double tolerance) {
        assertEquals(expected.keySet(), actual.keySet());
        for (Map.Entry<String, double[]> e : expected.entrySet()) {
            assertClose(e.getKey(), e.getValue(), actual.get(e.getKey()), tolerance);
        }
    }

    static void assertClose(String what, double[] expected, double[] actual, double tolerance) {
        assertEquals(expected.length, actual.length, what + ": size");
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        if (scale == 0) {
            throw new AssertionError(what + ": the expected gradient is zero everywhere, so the test proves nothing");
        }
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= tolerance)) {
                throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }
}
