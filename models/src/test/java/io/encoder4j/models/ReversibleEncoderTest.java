package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.encoder4j.core.attention.AttentionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reversible masked-LM model trained through {@link TransformerEncoder#backward}. */
class ReversibleEncoderTest {

    private static final int N = 9;

    /** Reversible, rotary positions, dropout, chunked feed-forward, two kinds of attention. */
    private static EncoderConfig config() {
        return new EncoderConfig(40, 16, 3, 2, 32, N + 2, 0.1f, null, null, null, null, true, "geglu",
                List.of(AttentionConfig.of("full", "dropout", 0.1), AttentionConfig.of("sliding_window", "window", 4,
                        "dropout", 0.0)), "rope", null, null, null, 4, true);
    }

    private static MaskedLmModel model(NDManager manager, DataType type) {
        Engine.getInstance().setRandomSeed(31);
        MaskedLmModel model = new MaskedLmModel(config());
        model.initialize(manager, type, new Shape(1, 8), new Shape(1, 8), new Shape(1));
        return model;
    }

    /** One masked-LM step; returns every parameter's gradient (then zeroed) and the loss. */
    private static Map<String, double[]> step(MaskedLmModel model, NDManager manager, boolean recompute,
            double[] lossOut) {
        model.encoder().setRecomputeActivations(recompute);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray ids = manager.create(new long[] {0, 5, 4, 7, 8, 9, 11, 2, 1, 0, 9, 4, 13, 4, 2, 1, 1, 1},
                new Shape(2, N));
        NDArray mask = manager.create(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0},
                new Shape(2, N));
        NDArray positions = manager.create(new long[] {2, 5, 11, 13});
        NDArray labels = manager.create(new long[] {17, 12, 30, 8});
        try (NDScope scope = new NDScope();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            Engine.getInstance().setRandomSeed(32);
            NDArray loss = MaskedLmModel.loss(model.maskedLogits(ps, ids, mask, positions, true), labels);
            lossOut[0] = loss.toType(DataType.FLOAT64, false).getDouble();
            System.gc();
            model.encoder().backward(gc, loss);
        }
        Map<String, double[]> grads = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            try (NDArray g = p.getValue().getArray().getGradient()) {
                grads.put(p.getKey(), g.toType(DataType.FLOAT64, false).toDoubleArray());
                g.subi(g);
            }
        }
        return grads;
    }

    private static double maxDifference(Map<String, double[]> a, Map<String, double[]> b, String[] where) {
        double worst = 0;
        for (Map.Entry<String, double[]> e : a.entrySet()) {
            double[] x = e.getValue();
            double[] y = b.get(e.getKey());
            double norm = 0;
            for (int i = 0; i < x.length; i++) {
                norm = Math.max(norm, Math.abs(x[i]));
                if (Math.abs(x[i] - y[i]) > worst) {
                    worst = Math.abs(x[i] - y[i]);
                    where[0] = e.getKey() + "[" + i + "]";
                }
            }
            assertTrue(norm > 0, e.getKey() + " received no gradient");
        }
        return worst;
    }

    @Test
    void recomputedGradientsEqualStoredOnesInFloat64() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskedLmModel model = model(manager, DataType.FLOAT64);
            double[] storedLoss = new double[1];
            double[] recomputedLoss = new double[1];
            Map<String, double[]> stored = step(model, manager, false, storedLoss);
            Map<String, double[]> recomputed = step(model, manager, true, recomputedLoss);
            assertEquals(storedLoss[0], recomputedLoss[0], 1e-12);
            String[] where = new String[1];
            double worst = maxDifference(stored, recomputed, where);
            assertTrue(worst < 1e-10, "largest gradient difference " + worst + " at " + where[0]);
        }
    }

    @Test
    void recomputedGradientsEqualStoredOnesInFloat32Within1e5() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskedLmModel model = model(manager, DataType.FLOAT32);
            double[] loss = new double[1];
            Map<String, double[]> stored = step(model, manager, false, loss);
            Map<String, double[]> recomputed = step(model, manager, true, loss);
            String[] where = new String[1];
            double worst = maxDifference(stored, recomputed, where);
            // Float32 rounding of the inputs rebuilt by subtraction (relative 6e-8 per layer) stays far below 1e-5.
            assertTrue(worst < 1e-5, "largest gradient difference " + worst + " at " + where[0]);
        }
    }

    @Test
    void aForgottenBackwardIsAnErrorNotMissingGradients() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskedLmModel model = model(manager, DataType.FLOAT32);
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray ids = manager.create(new long[] {0, 5, 4, 7, 2}, new Shape(1, 5));
            NDArray mask = manager.ones(new Shape(1, 5));
            try (NDScope scope = new NDScope();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                scope.suppressNotUsedWarning();
                gc.backward(model.encoder().encode(ps, ids, mask, true).sum());
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> model.encoder().encode(ps, ids, mask, true));
                assertTrue(e.getMessage().contains("TransformerEncoder.backward(collector, loss)"), e.getMessage());
            }
        }
    }

    @Test
    void savedReversibleModelLoadsWithIdenticalOutputs(@TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskedLmModel model = MaskedLmModel.create(config(), manager);
            Path tokenizer = Files.writeString(dir.resolve("tok.json"), "{}");
            ModelDirectory.save(model, tokenizer, dir.resolve("model"));
            MaskedLmModel loaded = ModelDirectory.load(dir.resolve("model"), manager, MaskedLmModel.class);
            assertEquals(model.config(), loaded.config());
            ParameterStore ps = new ParameterStore(manager, false);
            NDArray ids = manager.create(new long[] {0, 5, 6, 7, 2}, new Shape(1, 5));
            NDArray mask = manager.ones(new Shape(1, 5));
            NDArray positions = manager.create(new long[] {1, 2, 3});
            assertArrayEquals(model.maskedLogits(ps, ids, mask, positions, false).toFloatArray(),
                    loaded.maskedLogits(ps, ids, mask, positions, false).toFloatArray(), 0f);
        }
    }
}
