package io.encoder4j.core.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeedForwardTest {

    /** GELU(x) = x Φ(x) with the normal CDF written through erf, in float64. */
    private static NDArray gelu(NDArray x) {
        return x.mul(x.div(Math.sqrt(2)).erf().add(1)).div(2);
    }

    @Test
    void gegluIsGeluOfOneHalfTimesTheOther() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            FeedForward ffn = new FeedForward(8, 6, true);
            ffn.setInitializer(new NormalInitializer(0.5f), Parameter.Type.WEIGHT);
            ffn.setInitializer(new NormalInitializer(0.5f), Parameter.Type.BIAS);
            ffn.initialize(manager, DataType.FLOAT64, new Shape(2, 5, 8));
            Map<String, NDArray> w = new HashMap<>();
            for (Pair<String, Parameter> p : ffn.getParameters()) {
                w.put(p.getKey().replaceAll("^\\d+", ""), p.getValue().getArray());
            }
            assertEquals(new Shape(12, 8), w.get("intermediate_weight").getShape());
            assertEquals(new Shape(8, 6), w.get("output_weight").getShape());

            NDArray x = manager.randomNormal(new Shape(2, 5, 8), DataType.FLOAT64);
            x.setRequiresGradient(true);
            NDArray out;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                out = ffn.apply(new ParameterStore(manager, false), x, true);
                gc.backward(out.sum());
            }
            NDArray h = x.matMul(w.get("intermediate_weight").transpose()).add(w.get("intermediate_bias"));
            NDArray a = h.get(":, :, 0:6");
            NDArray g = h.get(":, :, 6:");
            NDArray expected = gelu(a).mul(g).matMul(w.get("output_weight").transpose()).add(w.get("output_bias"));
            double[] e = expected.toDoubleArray();
            double[] o = out.toDoubleArray();
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], o[i], 1e-10, "element " + i);
            }
            assertTrue(x.getGradient().abs().sum().getDouble() > 0, "gradient reaches the input");
            for (Pair<String, Parameter> p : ffn.getParameters()) {
                assertTrue(p.getValue().getArray().getGradient().abs().sum().getDouble() > 0, p.getKey());
            }
        }
    }
}
