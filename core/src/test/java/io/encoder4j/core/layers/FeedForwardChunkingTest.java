package io.encoder4j.core.layers;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.AttentionContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Chunking the position-wise part along the sequence changes neither outputs nor gradients. */
class FeedForwardChunkingTest {

    private static final int E = 8;
    private static final int N = 11;

    private static void check(boolean preNorm, boolean gated) {
        try (NDManager manager = NDManager.newBaseManager()) {
            // The same weights in both layers: the same seed before each initialisation.
            Engine.getInstance().setRandomSeed(11);
            TransformerLayer whole = LayerTesting.layer(manager, AttentionConfig.full(0f), E, 2, N, 0, 0f, preNorm,
                    0, gated);
            Engine.getInstance().setRandomSeed(11);
            // 4 does not divide 11: the last chunk is shorter.
            TransformerLayer chunked = LayerTesting.layer(manager, AttentionConfig.full(0f), E, 2, N, 0, 0f, preNorm,
                    4, gated);
            Engine.getInstance().setRandomSeed(12);
            NDArray x = manager.randomNormal(new Shape(2, N, E), DataType.FLOAT64);
            NDArray weights = manager.randomNormal(new Shape(2, N, E), DataType.FLOAT64);
            double[] mask = new double[2 * N];
            for (int i = 0; i < 2 * N; i++) {
                mask[i] = i < N + 6 ? 1 : 0;
            }
            AttentionContext ctx = AttentionContext.fromMasks(manager.create(mask, new Shape(2, N)), null,
                    DataType.FLOAT64);
            double[][] outputs = new double[2][];
            double[][] inputGradients = new double[2][];
            @SuppressWarnings("unchecked")
            Map<String, double[]>[] grads = new Map[2];
            TransformerLayer[] layers = {whole, chunked};
            for (int r = 0; r < 2; r++) {
                NDArray input = x.duplicate();
                input.setRequiresGradient(true);
                try (NDScope scope = new NDScope();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    scope.suppressNotUsedWarning();
                    NDArray y = layers[r].apply(new ParameterStore(manager, false), input, ctx, true);
                    outputs[r] = y.toDoubleArray();
                    System.gc();
                    gc.backward(y.mul(weights).sum());
                }
                inputGradients[r] = input.getGradient().toDoubleArray();
                grads[r] = LayerTesting.takeGradients(layers[r].getParameters());
            }
            LayerTesting.assertClose("output", outputs[0], outputs[1], 1e-12);
            LayerTesting.assertClose("input gradient", inputGradients[0], inputGradients[1], 1e-12);
            LayerTesting.assertSameGradients(grads[0], grads[1], 1e-12);
        }
    }

    @Test
    void postNormLayerGivesTheSameOutputsAndGradientsChunked() {
        check(false, false);
    }

    @Test
    void preNormGatedLayerGivesTheSameOutputsAndGradientsChunked() {
        check(true, true);
    }
}
