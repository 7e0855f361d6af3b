package io.encoder4j.core.layers;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.AttentionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reversible layers that recompute their activations give the gradients of the same two-stream layers run with
 * ordinary autograd, in float64, with dropout on and mechanisms that keep state across passes.
 */
class ReversibleStackTest {

    private static final int E = 8;
    private static final int H = 2;
    private static final int N = 10;

    /** Four pre-LN layers of different mechanisms, dropout 0.1, the feed-forward in chunks of 3. */
    private static List<TransformerLayer> layers(NDManager manager) {
        Engine.getInstance().setRandomSeed(21);
        List<AttentionConfig> attention = List.of(
                AttentionConfig.full(0.1f),
                // Redraws its features every training pass: the recomputation must not redraw them again.
                AttentionConfig.of("performer", "dropout", 0.0, "num_features", 16, "redraw_interval", 1),
                AttentionConfig.of("lsh", "dropout", 0.0, "chunk_size", 4, "num_buckets", 2),
                AttentionConfig.of("sliding_window", "dropout", 0.1, "window", 4));
        List<TransformerLayer> layers = new ArrayList<>();
        for (int i = 0; i < attention.size(); i++) {
            layers.add(LayerTesting.layer(manager, attention.get(i), E, H, N, i, 0.1f, true, 3, i % 2 == 1));
        }
        return layers;
    }

    private static PairList<String, Parameter> parameters(List<TransformerLayer> layers) {
        PairList<String, Parameter> all = new PairList<>();
        for (int i = 0; i < layers.size(); i++) {
            for (Pair<String, Parameter> p : layers.get(i).getParameters()) {
                all.add(i + "/" + p.getKey(), p.getValue());
            }
        }
        return all;
    }

    @Test
    void recomputedGradientsEqualThoseOfStoredActivations() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // Two copies of the same layers (the same seeds): each sees its first training pass.
            List<TransformerLayer> storedLayers = layers(manager);
            ReversibleStack stored = new ReversibleStack(storedLayers);
            List<TransformerLayer> recomputingLayers = layers(manager);
            ReversibleStack recomputing = new ReversibleStack(recomputingLayers);

            Engine.getInstance().setRandomSeed(22);
            NDArray x1 = manager.randomNormal(new Shape(2, N, E), DataType.FLOAT64);
            NDArray x2 = manager.randomNormal(new Shape(2, N, E), DataType.FLOAT64);
            NDArray w1 = manager.randomNormal(new Shape(2, N, E), DataType.FLOAT64);
            NDArray w2 = manager.randomNormal(new Shape(2, N, E), DataType.FLOAT64);
            double[] mask = new double[2 * N];
            for (int i = 0; i < 2 * N; i++) {
                mask[i] = i < N + 7 ? 1 : 0;
            }
            AttentionContext ctx = AttentionContext.fromMasks(manager.create(mask, new Shape(2, N)), null,
                    DataType.FLOAT64);
            ParameterStore ps = new ParameterStore(manager, false);

            // Ordinary autograd through the two-stream layers.
            NDArray a1 = x1.duplicate();
            NDArray a2 = x2.duplicate();
            a1.setRequiresGradient(true);
            a2.setRequiresGradient(true);
            double[][] expected = new double[4][];
            try (NDScope scope = new NDScope();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                scope.suppressNotUsedWarning();
                Engine.getInstance().setRandomSeed(23);
                NDArray[] y = stored.forward(ps, a1, a2, ctx, true);
                expected[0] = y[0].toDoubleArray();
                expected[1] = y[1].toDoubleArray();
                gc.backward(y[0].mul(w1).add(y[1].mul(w2)).sum());
            }
            expected[2] = a1.getGradient().toDoubleArray();
            expected[3] = a2.getGradient().toDoubleArray();
            Map<String, double[]> expectedGrads = LayerTesting.takeGradients(parameters(storedLayers));

            // No stored activations: the loss to (y1, y2), then the layers backwards.
            double[][] actual = new double[4][];
            try (NDScope scope = new NDScope();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                scope.suppressNotUsedWarning();
                Engine.getInstance().setRandomSeed(23);
                ReversibleStack.Tape tape = recomputing.forwardWithoutActivations(ps, x1, x2, ctx, true);
                actual[0] = tape.y1().toDoubleArray();
                actual[1] = tape.y2().toDoubleArray();
                System.gc();
                gc.backward(tape.y1().mul(w1).add(tape.y2().mul(w2)).sum());
                NDArray[] dx = recomputing.backward(tape);
                actual[2] = dx[0].toDoubleArray();
                actual[3] = dx[1].toDoubleArray();
            }
            Map<String, double[]> actualGrads = LayerTesting.takeGradients(parameters(recomputingLayers));

            String[] names = {"y1", "y2", "dx1", "dx2"};
            for (int i = 0; i < 4; i++) {
                LayerTesting.assertClose(names[i], expected[i], actual[i], 1e-10);
            }
            assertTrue(expectedGrads.size() > 30, "parameters compared: " + expectedGrads.size());
            LayerTesting.assertSameGradients(expectedGrads, actualGrads, 1e-10);
        }
    }

    @Test
    void postNormLayersCannotBeReversible() {
        try (NDManager manager = NDManager.newBaseManager()) {
            TransformerLayer post = LayerTesting.layer(manager, AttentionConfig.full(0f), E, H, N, 0, 0f, false, 0,
                    false);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ReversibleStack(List.of(post)));
            assertTrue(e.getMessage().contains("pre_norm"), e.getMessage());
        }
    }
}
