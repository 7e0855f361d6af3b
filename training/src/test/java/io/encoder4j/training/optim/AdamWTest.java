package io.encoder4j.training.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
        try (AdamW adam = new AdamW(named(p), manager, 0.9f, 0.999f, 1e-8f, wd, clip)) {
            for (int s = 0; s < steps; s++) {
                backward(p, c);
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

    private static PairList<String, Parameter> named(Parameter... ps) {
        PairList<String, Parameter> params = new PairList<>();
        for (Parameter p : ps) {
            params.add(p.getName(), p);
        }
        return params;
    }

    private static void backward(Parameter p, float... c) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(p.getArray().mul(manager.create(c)).sum());
        }
    }

    @Test
    void clippingScalesTheGlobalNormAcrossParameters() {
        // Gradients (3, 0) and (0, 4): global norm 5. The first moment after one step is (1 - beta1) * g_clipped.
        for (float max : new float[] {1f, 10f}) {
            Parameter a = parameter("a", Parameter.Type.WEIGHT, 0f, 0f);
            Parameter b = parameter("b", Parameter.Type.BIAS, 0f, 0f);
            try (AdamW adam = new AdamW(named(a, b), manager, 0.9f, 0.999f, 1e-8f, 0f, max)) {
                backward(a, 3f, 0f);
                backward(b, 0f, 4f);
                assertEquals(5f, adam.step(0.1f, true), 1e-5);
                float s = max < 5 ? max / 5f : 1f;
                float[] ma = adam.firstMoment("a").toFloatArray();
                float[] mb = adam.firstMoment("b").toFloatArray();
                assertEquals(0.1f * 3f * s, ma[0], 1e-6);
                assertEquals(0f, ma[1], 0);
                assertEquals(0.1f * 4f * s, mb[1], 1e-6);
                // The clipped gradient has norm max (or 5 unclipped): sqrt(ma^2 + mb^2) / (1 - beta1).
                assertEquals(Math.min(max, 5f), Math.hypot(ma[0], mb[1]) / 0.1f, 1e-5);
                // The gradients were zeroed after the update.
                assertEquals(0f, a.getArray().getGradient().abs().sum().getFloat(), 0f);
            }
        }
    }

    @Test
    void aNonFiniteGradientSkipsTheStepWithoutTouchingAnything() {
        Parameter w = parameter("w", Parameter.Type.WEIGHT, 1f, 2f);
        try (AdamW adam = new AdamW(named(w), manager, 0.9f, 0.999f, 1e-8f, 0.1f, 1f)) {
            // A NaN first step: nothing moves, and the bias correction still sees t = 1 at the next applied step.
            backward(w, Float.NaN, 1f);
            assertTrue(Float.isNaN(adam.step(0.1f, true)));
            assertArrayEquals(new float[] {1f, 2f}, w.getArray().toFloatArray());
            assertArrayEquals(new float[] {0f, 0f}, adam.firstMoment("w").toFloatArray());
            assertEquals(0, adam.appliedSteps());
            backward(w, 0.5f, -2f);
            adam.step(0.1f, false);
            float[] afterOne = w.getArray().toFloatArray();
            float[] m = adam.firstMoment("w").toFloatArray();
            float[] v = adam.secondMoment("w").toFloatArray();
            assertEquals(1, adam.appliedSteps());
            // An infinite gradient later: parameters and both moments are bit-for-bit unchanged.
            backward(w, Float.POSITIVE_INFINITY, 0f);
            adam.step(0.1f, false);
            assertArrayEquals(afterOne, w.getArray().toFloatArray());
            assertArrayEquals(m, adam.firstMoment("w").toFloatArray());
            assertArrayEquals(v, adam.secondMoment("w").toFloatArray());
            assertEquals(1, adam.appliedSteps());
            // A false gate (the caller saw a non-finite loss) skips as well.
            backward(w, 1f, 1f);
            try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                scope.suppressNotUsedWarning();
                adam.step(0.1f, manager.create(false));
            }
            assertArrayEquals(afterOne, w.getArray().toFloatArray());
            assertEquals(1, adam.appliedSteps());
        }
        // The applied step equals a fresh optimizer's first step: the skipped ones left no trace.
        Parameter fresh = parameter("w", Parameter.Type.WEIGHT, 1f, 2f);
        float[] expected = run(fresh, new float[] {0.5f, -2f}, 0.1f, 0.1f, 1f, 1);
        Parameter again = parameter("w", Parameter.Type.WEIGHT, 1f, 2f);
        try (AdamW adam = new AdamW(named(again), manager, 0.9f, 0.999f, 1e-8f, 0.1f, 1f)) {
            backward(again, Float.NaN, 0f);
            adam.step(0.1f, false);
            backward(again, 0.5f, -2f);
            adam.step(0.1f, false);
        }
        assertArrayEquals(expected, again.getArray().toFloatArray());
    }

    @Test
    void stateSavedAndLoadedByNameContinuesIdentically() throws Exception {
        float[] c = {0.3f, -1.5f};
        // Reference: four steps in one optimizer.
        Parameter ref = parameter("w", Parameter.Type.WEIGHT, 1f, -1f);
        float[] expected = run(ref, c, 0.05f, 0.01f, 1f, 4);
        // Two steps, save, a new optimizer loads the state, two more steps.
        Parameter w = parameter("w", Parameter.Type.WEIGHT, 1f, -1f);
        java.io.ByteArrayOutputStream saved = new java.io.ByteArrayOutputStream();
        try (AdamW adam = new AdamW(named(w), manager, 0.9f, 0.999f, 1e-8f, 0.01f, 1f)) {
            for (int s = 0; s < 2; s++) {
                backward(w, c);
                adam.step(0.05f, false);
            }
            adam.save(saved);
        }
        try (AdamW adam = new AdamW(named(w), manager, 0.9f, 0.999f, 1e-8f, 0.01f, 1f)) {
            adam.load(new java.io.ByteArrayInputStream(saved.toByteArray()));
            assertEquals(2, adam.appliedSteps());
            for (int s = 0; s < 2; s++) {
                backward(w, c);
                adam.step(0.05f, false);
            }
        }
        assertArrayEquals(expected, w.getArray().toFloatArray());

        // State of another model: the first missing or mismatched parameter is named.
        Parameter other = parameter("u", Parameter.Type.WEIGHT, 1f, 2f);
        try (AdamW adam = new AdamW(named(other), manager, 0.9f, 0.999f, 1e-8f, 0.01f, 1f)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> adam.load(new java.io.ByteArrayInputStream(saved.toByteArray())));
            assertEquals("no optimizer state 'exp_avg.u' for the model's parameter 'u' (2)", e.getMessage());
        }
        Parameter wider = parameter("w", Parameter.Type.WEIGHT, 1f, 2f, 3f);
        try (AdamW adam = new AdamW(named(wider), manager, 0.9f, 0.999f, 1e-8f, 0.01f, 1f)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class,
                    () -> adam.load(new java.io.ByteArrayInputStream(saved.toByteArray())));
            assertEquals("optimizer state 'exp_avg.w' has shape (2) but the model's parameter has (3)",
                    e.getMessage());
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
