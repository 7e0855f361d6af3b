package io.encoder4j.training.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.tensor.Scalars;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A small, fast task for engine tests: linear regression y = x . w* + b* + noise with a DJL {@link Linear} block.
 * Rows are a pure function of (seed, step, row), micro-batches may have different sizes, chosen steps can produce a
 * NaN loss or an infinite gradient, and an extra metric "score" can follow a script.
 */
final class RegressionTask implements TrainingTask<RegressionTask.Batch> {

    static final int FEATURES = 4;
    private static final double[] TRUE_W = {0.5, -1.0, 2.0, 0.25};
    private static final double TRUE_B = 0.3;

    record Batch(float[] x, float[] y, int rows, long step) implements MicroBatch {
        @Override
        public long lossWeight() {
            return rows;
        }

        @Override
        public long tokens() {
            return rows;
        }
    }

    private final Linear model;
    private final NDManager manager;
    private final ParameterStore ps;
    private final long seed;
    private final int[] microBatchRows;
    private Set<Long> nanLossSteps = Set.of();
    private Set<Long> infiniteGradientSteps = Set.of();
    private List<Double> scoreScript = List.of();
    private int evaluations;

    /** @param microBatchRows rows of each micro-batch of a step; a step's rows are the same however they are split */
    RegressionTask(NDManager manager, long seed, int... microBatchRows) {
        this.manager = manager;
        this.seed = seed;
        this.microBatchRows = microBatchRows;
        this.model = Linear.builder().setUnits(1).build();
        ai.djl.engine.Engine.getInstance().setRandomSeed(7);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, FEATURES));
        this.ps = new ParameterStore(manager, false);
    }

    RegressionTask nanLossAt(Set<Long> steps) {
        this.nanLossSteps = steps;
        return this;
    }

    RegressionTask infiniteGradientAt(Set<Long> steps) {
        this.infiniteGradientSteps = steps;
        return this;
    }

    RegressionTask scores(List<Double> script) {
        this.scoreScript = script;
        return this;
    }

    Linear model() {
        return model;
    }

    @Override
    public String name() {
        return "regression";
    }

    @Override
    public PairList<String, Parameter> parameters() {
        return model.getParameters();
    }

    /** Row {@code r} of step {@code step}: features and target from a generator seeded by both. */
    private static void row(long seed, long step, int r, float[] x, float[] y, int at) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + r);
        double target = TRUE_B + 0.01 * rng.nextGaussian();
        for (int f = 0; f < FEATURES; f++) {
            x[at * FEATURES + f] = (float) rng.nextGaussian();
            target += TRUE_W[f] * x[at * FEATURES + f];
        }
        y[at] = (float) target;
    }

    @Override
    public List<Batch> microBatches(long step) {
        return batches(seed, step, microBatchRows);
    }

    private static List<Batch> batches(long seed, long step, int... microBatchRows) {
        List<Batch> out = new ArrayList<>();
        int r = 0;
        for (int rows : microBatchRows) {
            float[] x = new float[rows * FEATURES];
            float[] y = new float[rows];
            for (int i = 0; i < rows; i++) {
                row(seed, step, r++, x, y, i);
            }
            out.add(new Batch(x, y, rows, step));
        }
        return out;
    }

    @Override
    public NDArray loss(Batch batch) {
        // Inputs in the model's type (FP16 under mixed precision); the FP32 target then upcasts the residual.
        NDArray x = manager.create(batch.x(), new Shape(batch.rows(), FEATURES))
                .toType(model.getParameters().get("weight").getArray().getDataType(), false);
        NDArray y = manager.create(batch.y(), new Shape(batch.rows(), 1));
        NDArray prediction = model.forward(ps, new ai.djl.ndarray.NDList(x), true).singletonOrThrow();
        NDArray loss = prediction.sub(y).square().mean();
        if (nanLossSteps.contains(batch.step())) {
            loss = Scalars.mul(loss, Double.NaN);
        }
        if (infiniteGradientSteps.contains(batch.step())) {
            // sqrt(|s - s|) is 0 but its derivative at 0 is infinite: a finite loss with a non-finite gradient.
            NDArray w = model.getParameters().get("weight").getArray();
            NDArray s = w.sum();
            loss = loss.add(s.sub(s.stopGradient()).abs().sqrt());
        }
        return loss;
    }

    @Override
    public Map<String, Double> evaluate() {
        List<Batch> held = batches(seed + 1, 0, 64);
        Map<String, Double> out = new LinkedHashMap<>();
        NDArray x = manager.create(held.get(0).x(), new Shape(64, FEATURES))
                .toType(model.getParameters().get("weight").getArray().getDataType(), false);
        NDArray y = manager.create(held.get(0).y(), new Shape(64, 1));
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray prediction = model.forward(ps, new ai.djl.ndarray.NDList(x), false).singletonOrThrow();
            out.put("loss", (double) prediction.sub(y).square().mean().getFloat());
        }
        x.close();
        y.close();
        if (!scoreScript.isEmpty()) {
            out.put("score", scoreScript.get(Math.min(evaluations, scoreScript.size() - 1)));
        }
        evaluations++;
        return out;
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.lowerIsBetter("loss"), Metric.higherIsBetter("score"));
    }

    @Override
    public void saveModel(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (OutputStream os = Files.newOutputStream(dir.resolve("regression.params"));
                DataOutputStream out = new DataOutputStream(os)) {
            model.saveParameters(out);
        }
    }

    /** Loads weights that {@link #saveModel} wrote (what a job does before resuming). */
    void loadModel(Path dir) throws IOException, ai.djl.MalformedModelException {
        try (java.io.InputStream is = Files.newInputStream(dir.resolve("regression.params"));
                java.io.DataInputStream in = new java.io.DataInputStream(is)) {
            model.loadParameters(manager, in);
        }
    }

    float[] weights() {
        float[] w = model.getParameters().get("weight").getArray().toFloatArray();
        float[] out = java.util.Arrays.copyOf(w, FEATURES + 1);
        out[FEATURES] = model.getParameters().get("bias").getArray().getFloat();
        return out;
    }
}
