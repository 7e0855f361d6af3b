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
import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.datasets.tasks.tagging.TaggedExample;
import io.encoder4j.datasets.tasks.tagging.TokenClassificationFeatures;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.TokenClassificationModel;
import io.encoder4j.training.loop.Metric;
import io.encoder4j.training.loop.MicroBatch;
import io.encoder4j.training.loop.TrainingTask;
import io.encoder4j.training.metrics.TaggingMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Token classification (tagging, e.g. BIO named entities) as a {@link TrainingTask}, batched as
 * {@link ClassificationTask} is: step {@code k} takes batch {@code k} of a seeded {@link BatchOrder} over the
 * sentences. The loss is the cross-entropy over the first sub-word of each word; evaluations report word accuracy
 * and entity-level precision / recall / F1 ({@link TaggingMetrics}).
 */
public final class TokenClassificationTask implements TrainingTask<TokenClassificationTask.Batch> {

    /** One micro-batch on the host: ids, labels (-100 where not counted) and mask, each (B, N). */
    public record Batch(TokenClassificationFeatures.Batch data) implements MicroBatch {
        @Override
        public long lossWeight() {
            long t = 0;
            for (int i = 0; i < data.labels().length; i++) {
                t += data.labels()[i] != TokenClassificationFeatures.IGNORE && data.mask()[i] != 0 ? 1 : 0;
            }
            return t;
        }

        @Override
        public long tokens() {
            long t = 0;
            for (float m : data.mask()) {
                t += (long) m;
            }
            return t;
        }
    }

    private final TokenClassificationModel model;
    private final NDManager manager;
    private final ParameterStore parameterStore;
    private final TokenClassificationFeatures train;
    private final List<TaggedExample> validationExamples;
    private final TokenClassificationFeatures validation;
    private final LabelMap labels;
    private final MicroBatchRows steps;
    private final long evalBatches;
    private final Path tokenizerJson;

    public TokenClassificationTask(TokenClassificationModel model, NDManager manager,
            TokenClassificationFeatures train, List<TaggedExample> validationExamples,
            TokenClassificationFeatures validation, LabelMap labels, int batchSize, int microBatches, long seed,
            long evalBatches, Path tokenizerJson) {
        this.model = model;
        this.manager = manager;
        this.parameterStore = new ParameterStore(manager, false);
        this.train = train;
        this.validationExamples = validationExamples;
        this.validation = validation;
        this.labels = labels;
        this.steps = MicroBatchRows.training(train.size(), batchSize, microBatches, seed);
        this.evalBatches = evalBatches;
        this.tokenizerJson = tokenizerJson;
    }

    @Override
    public String name() {
        return "token_classification";
    }

    @Override
    public PairList<String, Parameter> parameters() {
        return model.getParameters();
    }

    @Override
    public List<Batch> microBatches(long step) {
        return steps.of(step, rows -> new Batch(train.batch(rows)));
    }

    @Override
    public NDArray loss(Batch batch) {
        TokenClassificationFeatures.Batch d = batch.data();
        Shape shape = new Shape(d.rows(), d.length());
        NDArray mask = manager.create(d.mask(), shape);
        NDArray logits = model.logits(parameterStore, manager.create(d.ids(), shape), mask, true);
        return TokenClassificationModel.loss(logits, manager.create(d.labels(), shape), mask);
    }

    @Override
    public void backward(GradientCollector collector, NDArray loss) {
        model.encoder().backward(collector, loss);
    }

    /**
     * The predicted tag id of every word of the first {@code maxBatches} batches of {@code features} (0 = all), by
     * the arg-max at the word's first sub-word; -1 for words truncated away.
     */
    public static int[][] predict(TokenClassificationModel model, NDManager manager,
            TokenClassificationFeatures features, int batchSize, long maxBatches) {
        ParameterStore ps = new ParameterStore(manager, false);
        BatchOrder sequential = BatchOrder.sequential(features.size(), batchSize);
        long batches = maxBatches == 0 ? sequential.batchesPerEpoch()
                : Math.min(maxBatches, sequential.batchesPerEpoch());
        List<int[]> out = new ArrayList<>();
        for (long k = 0; k < batches; k++) {
            long[] rows = sequential.rows(k);
            TokenClassificationFeatures.Batch d = features.batch(rows);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Shape shape = new Shape(d.rows(), d.length());
                // logits (B, N, L) -> arg-max (B, N)
                long[] best = model.logits(ps, manager.create(d.ids(), shape), manager.create(d.mask(), shape), false)
                        .argMax(-1).toLongArray();
                for (int i = 0; i < rows.length; i++) {
                    int[] starts = features.wordStarts((int) rows[i]);
                    int[] tags = new int[starts.length];
                    for (int w = 0; w < starts.length; w++) {
                        tags[w] = starts[w] < 0 ? -1 : (int) best[i * d.length() + starts[w]];
                    }
                    out.add(tags);
                }
            }
        }
        return out.toArray(new int[0][]);
    }

    /**
     * {@link TaggingMetrics} of the predicted tag ids against the examples' tags (a word truncated away counts as
     * tagged {@code O}, so entities lost to truncation count as missed).
     */
    public static Map<String, Double> metrics(List<TaggedExample> examples, int[][] predicted, LabelMap labels) {
        List<List<String>> gold = new ArrayList<>();
        List<List<String>> pred = new ArrayList<>();
        for (int r = 0; r < predicted.length; r++) {
            gold.add(examples.get(r).tags());
            pred.add(names(predicted[r], labels));
        }
        Map<String, Double> out = TaggingMetrics.of(gold, pred);
        out.put("examples", (double) predicted.length);
        return out;
    }

    /** Tag names of predicted ids, {@code O} for -1 (a word truncated away). */
    static List<String> names(int[] ids, LabelMap labels) {
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            out.add(id < 0 ? "O" : labels.name(id));
        }
        return out;
    }

    @Override
    public Map<String, Double> evaluate() {
        return metrics(validationExamples, predict(model, manager, validation, steps.batchSize(), evalBatches), labels);
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.higherIsBetter("accuracy"), Metric.higherIsBetter("precision"),
                Metric.higherIsBetter("recall"), Metric.higherIsBetter("f1"));
    }

    @Override
    public String defaultBestMetric() {
        return "f1";
    }

    @Override
    public void saveModel(Path dir) throws IOException {
        ModelDirectory.save(model, tokenizerJson, dir);
        labels.write(dir.resolve(LabelMap.FILE_NAME));
    }

    public LabelMap labels() {
        return labels;
    }
}
