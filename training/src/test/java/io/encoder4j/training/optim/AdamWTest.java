package io.encoder4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.MaskedLmModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdamWTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        Engine.getInstance().setRandomSeed(5);
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static Parameter parameter(String name, Parameter.Type type, float... values) {
        Parameter p = Parameter.builder().setName(name).setType(type).optArray(manager.create(values)).build();
        p.getArray().setRequiresGradient(true);
        return p;
    }

    /** Runs {@code steps} updates of loss = sum(c * p) and returns p. */
    private static float[] run(Parameter p, float[] c, float lr, float wd, float clip, int steps) {
        PairList<String, Parameter> params = new PairList<>();
        params.add(p.getName(), p);
        try (AdamW adam = new AdamW(params, manager, 0.9f, 0.999f, 1e-8f, wd, clip)) {
            for (int s = 0; s < steps; s++) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(p.getArray().mul(manager.create(c)).sum());
                }
                adam.step(lr, false);
            }
        }
        return p.getArray().toFloatArray();
    }

    @Test
    void matchesTheAdamWRecurrenceComputedByHand() {
        float[] c = {0.5f, -2f};
        Parameter w = parameter("w", Parameter.Type.WEIGHT, 1f, 1f);
        float[] got = run(w, c, 0.1f, 0.01f, 0f, 3);
        // Reference: torch.optim.AdamW's update, in double.
        double[] p = {1, 1};
        double[] m = new double[2];
        double[] v = new double[2];
        for (int t = 1; t <= 3; t++) {
            for (int i = 0; i < 2; i++) {
                p[i] *= 1 - 0.1 * 0.01;
                m[i] = 0.9 * m[i] + 0.1 * c[i];
                v[i] = 0.999 * v[i] + 0.001 * c[i] * c[i];
                double mh = m[i] / (1 - Math.pow(0.9, t));
                double vh = v[i] / (1 - Math.pow(0.999, t));
                p[i] -= 0.1 * mh / (Math.sqrt(vh) + 1e-8);
            }
        }
        assertEquals(p[0], got[0], 1e-5);
        assertEquals(p[1], got[1], 1e-5);
    }

    @Test
    void weightDecayAppliesToWeightsOnly() {
        float[] zero = {0f};
        // With a zero gradient only weight decay moves a parameter.
        assertEquals(1f - 0.1f * 0.5f, run(parameter("w", Parameter.Type.WEIGHT, 1f), zero, 0.1f, 0.5f, 0f, 1)[0], 1e-6);
        assertEquals(1f, run(parameter("b", Parameter.Type.BIAS, 1f), zero, 0.1f, 0.5f, 0f, 1)[0], 0f);
        assertEquals(1f, run(parameter("g", Parameter.Type.GAMMA, 1f), zero, 0.1f, 0.5f, 0f, 1)[0], 0f);
        assertEquals(1f, run(parameter("be", Parameter.Type.BETA, 1f), zero, 0.1f, 0.5f, 0f, 1)[0], 0f);
    }

    @Test
    void clippingScalesTheGlobalNorm() {
        Parameter w = parameter("w", Parameter.Type.WEIGHT, 0f, 0f);
        PairList<String, Parameter> params = new PairList<>();
        params.add("w", w);
        try (AdamW adam = new AdamW(params, manager, 0.9f, 0.999f, 1e-8f, 0f, 1f)) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(w.getArray().mul(manager.create(new float[] {3f, 4f})).sum());
            }
            assertEquals(5f, adam.step(0.1f, true), 1e-5);
            // The gradients were zeroed after the update.
            assertEquals(0f, w.getArray().getGradient().abs().sum().getFloat(), 0f);
        }
    }

    @Test
    void aFewStepsLowerTheMaskedLmLossOnAFixedBatch() {
        EncoderConfig config = new EncoderConfig(60, 32, 2, 4, 64, 20, 0f, null, null, null, null, null, null, null);
        MaskedLmModel model = MaskedLmModel.create(config, manager);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray ids = manager.randomInteger(5, 60, new Shape(4, 16), ai.djl.ndarray.types.DataType.INT64);
        NDArray mask = manager.ones(new Shape(4, 16));
        NDArray positions = manager.create(new long[] {1, 5, 17, 30, 40, 63});
        NDArray labels = manager.create(new long[] {7, 8, 9, 10, 11, 12});
        float first = Float.NaN;
        float last = Float.NaN;
        try (AdamW adam = new AdamW(model.getParameters(), manager, 0.9f, 0.98f, 1e-6f, 0.01f, 1f)) {
            for (int step = 0; step < 12; step++) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = MaskedLmModel.loss(model.maskedLogits(ps, ids, mask, positions, true), labels);
                    gc.backward(loss);
                    last = loss.getFloat();
                    first = step == 0 ? last : first;
                }
                adam.step(3e-3f, false);
            }
        }
        assertTrue(last < first - 1.0f, "loss went from " + first + " to " + last);
    }
}
