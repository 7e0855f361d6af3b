package io.encoder4j.training.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.datasets.sampling.BatchOrder;
import io.encoder4j.datasets.tasks.ClassificationBatch;
import io.encoder4j.datasets.tasks.ClassificationDataset;
import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.SequenceClassificationModel;
import io.encoder4j.training.loop.Metric;
import io.encoder4j.training.loop.MicroBatch;
import io.encoder4j.training.loop.TrainingTask;
import io.encoder4j.training.metrics.ClassificationMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sequence classification (single-label, multi-label or regression) as a {@link TrainingTask}. Step {@code k} takes
 * batch {@code k} of a seeded {@link BatchOrder} over the training rows, {@code batch_size *
 * gradient_accumulation_steps} rows, cut into micro-batches of {@code batch_size}: a pure function of (seed, k), so a
 * resumed run continues with the next batch. Global attention (Longformer) is placed on {@code <s>} by the model.
 */
public final class ClassificationTask implements TrainingTask<ClassificationTask.Batch> {

    /** One micro-batch on the host: ids (B, N), mask (B, N), targets (B, width). */
    public record Batch(long[] ids, float[] mask, float[] targets, int rows, int length) implements MicroBatch {
        @Override
        public long lossWeight() {
            return rows;
        }

        @Override
        public long tokens() {
            long t = 0;
            for (float m : mask) {
                t += (long) m;
            }
            return t;
        }
    }

    private final SequenceClassificationModel model;
    private final NDManager manager;
    private final ParameterStore parameterStore;
    private final ClassificationDataset train;
    private final float[] trainTargets;
    private final ClassificationDataset validation;
    private final float[] validationTargets;
    private final ClassificationTargets targets;
    private final MicroBatchRows steps;
    private final long evalBatches;
    private final Path tokenizerJson;

    public ClassificationTask(SequenceClassificationModel model, NDManager manager, ClassificationDataset train,
            ClassificationDataset validation, ClassificationTargets targets, int batchSize, int microBatches,
            long seed, long evalBatches, Path tokenizerJson) {
        this.model = model;
        this.manager = manager;
        this.parameterStore = new ParameterStore(manager, false);
        this.train = train;
        this.trainTargets = targets.targets(train);
        this.validation = validation;
        this.validationTargets = targets.targets(validation);
        this.targets = targets;
        this.steps = MicroBatchRows.training(train.size(), batchSize, microBatches, seed);
        this.evalBatches = evalBatches;
        this.tokenizerJson = tokenizerJson;
    }

    @Override
    public String name() {
        return "classification";
    }

    @Override
    public PairList<String, Parameter> parameters() {
        return model.getParameters();
    }

    @Override
    public List<Batch> microBatches(long step) {
        return steps.of(step, rows -> batch(train, trainTargets, rows));
    }

    private Batch batch(ClassificationDataset ds, float[] y, long[] rows) {
        ClassificationBatch cb = ds.batch(rows);
        int w = targets.width();
        long[] ids = MicroBatchRows.longs(cb.inputIds());
        float[] mask = MicroBatchRows.floats(cb.attentionMask());
        float[] t = new float[rows.length * w];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(y, (int) rows[i] * w, t, i * w, w);
        }
        return new Batch(ids, mask, t, cb.batchSize(), cb.length());
    }

    @Override
    public NDArray loss(Batch batch) {
        NDArray logits = logits(batch, true);
        return model.loss(logits, manager.create(batch.targets()));
    }

    @Override
    public void backward(GradientCollector collector, NDArray loss) {
        model.encoder().backward(collector, loss);
    }

    private NDArray logits(Batch batch, boolean training) {
        // ids, mask: (B, N) -> logits (B, L)
        Shape shape = new Shape(batch.rows(), batch.length());
        NDArray ids = manager.create(batch.ids(), shape);
        NDArray mask = manager.create(batch.mask(), shape);
        return model.logits(parameterStore, ids, mask, training);
    }

    /** The model's outputs for every row of {@code ds} (or its first {@code maxBatches} batches; 0 = all). */
    public static float[][] predict(SequenceClassificationModel model, NDManager manager, ClassificationDataset ds,
            int batchSize, long maxBatches) {
        ParameterStore ps = new ParameterStore(manager, false);
        BatchOrder sequential = BatchOrder.sequential(ds.size(), batchSize);
        long batches = maxBatches == 0 ? sequential.batchesPerEpoch()
                : Math.min(maxBatches, sequential.batchesPerEpoch());
        List<float[]> out = new ArrayList<>();
        for (long k = 0; k < batches; k++) {
            ClassificationBatch cb = ds.batch(sequential, k);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Shape shape = new Shape(cb.batchSize(), cb.length());
                NDArray ids = manager.create(cb.inputIds(), shape).toType(ai.djl.ndarray.types.DataType.INT64, false);
                NDArray mask = manager.create(cb.attentionMask(), shape)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                NDArray logits = model.logits(ps, ids, mask, false);
                float[] flat = logits.toFloatArray();
                int l = (int) logits.getShape().get(1);
                for (int i = 0; i < cb.batchSize(); i++) {
                    out.add(Arrays.copyOfRange(flat, i * l, (i + 1) * l));
                }
            }
        }
        return out.toArray(new float[0][]);
    }

    /**
     * Metrics of {@code logits} against {@code gold} (row-major, {@code width} per row; NaN rows are unlabelled and
     * left out): loss, accuracy, macro-F1 and MCC (single-label); loss, subset accuracy and macro-F1 over the labels
     * (multi-label, a label predicted when its logit is positive, i.e. probability > 0.5); loss and MSE (regression).
     */
    public static Map<String, Double> metrics(String problemType, float[][] logits, float[] gold, int width) {
        Map<String, Double> out = new LinkedHashMap<>();
        int n = 0;
        double loss = 0;
        List<Integer> labelled = new ArrayList<>();
        for (int r = 0; r < logits.length; r++) {
            if (!Float.isNaN(gold[r * width])) {
                labelled.add(r);
            }
        }
        n = labelled.size();
        switch (problemType) {
            case HeadConfig.SINGLE_LABEL -> {
                int[] g = new int[n];
                int[] p = new int[n];
                for (int i = 0; i < n; i++) {
                    float[] x = logits[labelled.get(i)];
                    g[i] = (int) gold[labelled.get(i)];
                    p[i] = argmax(x);
                    double max = x[p[i]];
                    double sum = 0;
                    for (float v : x) {
                        sum += Math.exp(v - max);
                    }
                    loss += max + Math.log(sum) - x[g[i]];
                }
                out.put("loss", loss / n);
                out.put("accuracy", ClassificationMetrics.accuracy(g, p));
                out.put("macro_f1", ClassificationMetrics.macroF1(g, p));
                out.put("mcc", ClassificationMetrics.matthewsCorrelation(g, p));
            }
            case HeadConfig.MULTI_LABEL -> {
                long exact = 0;
                long[] tp = new long[width];
                long[] fp = new long[width];
                long[] fn = new long[width];
                for (int r : labelled) {
                    boolean all = true;
                    for (int j = 0; j < width; j++) {
                        double x = logits[r][j];
                        boolean y = gold[r * width + j] > 0.5f;
                        boolean pred = x > 0;
                        loss += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) - x * (y ? 1 : 0);
                        all &= y == pred;
                        tp[j] += y && pred ? 1 : 0;
                        fp[j] += !y && pred ? 1 : 0;
                        fn[j] += y && !pred ? 1 : 0;
                    }
                    exact += all ? 1 : 0;
                }
                double f1 = 0;
                for (int j = 0; j < width; j++) {
                    long d = 2 * tp[j] + fp[j] + fn[j];
                    f1 += d == 0 ? 0 : 2.0 * tp[j] / d;
                }
                out.put("loss", loss / ((double) n * width));
                out.put("accuracy", (double) exact / n);
                out.put("macro_f1", f1 / width);
            }
            default -> {
                for (int r : labelled) {
                    double d = logits[r][0] - gold[r];
                    loss += d * d;
                }
                out.put("loss", loss / n);
                out.put("mse", loss / n);
            }
        }
        out.put("examples", (double) n);
        return out;
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public Map<String, Double> evaluate() {
        float[][] logits = predict(model, manager, validation, steps.batchSize(), evalBatches);
        float[] gold = Arrays.copyOf(validationTargets, logits.length * targets.width());
        return metrics(targets.problemType(), logits, gold, targets.width());
    }

    @Override
    public List<Metric> metrics() {
        return metricsOf(targets.problemType());
    }

    static List<Metric> metricsOf(String problemType) {
        return switch (problemType) {
            case HeadConfig.REGRESSION -> List.of(Metric.lowerIsBetter("loss"), Metric.lowerIsBetter("mse"));
            case HeadConfig.MULTI_LABEL -> List.of(Metric.lowerIsBetter("loss"), Metric.higherIsBetter("accuracy"),
                    Metric.higherIsBetter("macro_f1"));
            default -> List.of(Metric.lowerIsBetter("loss"), Metric.higherIsBetter("accuracy"),
                    Metric.higherIsBetter("macro_f1"), Metric.higherIsBetter("mcc"));
        };
    }

    @Override
    public String defaultBestMetric() {
        return targets.problemType().equals(HeadConfig.REGRESSION) ? "mse" : "accuracy";
    }

    @Override
    public void saveModel(Path dir) throws IOException {
        ModelDirectory.save(model, tokenizerJson, dir);
        if (!targets.problemType().equals(HeadConfig.REGRESSION)) {
            targets.labels().write(dir.resolve(LabelMap.FILE_NAME));
        }
    }

    public LabelMap labels() {
        return targets.labels();
    }
}
