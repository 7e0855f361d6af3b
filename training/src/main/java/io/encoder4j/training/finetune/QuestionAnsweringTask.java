package io.encoder4j.training.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.sampling.BatchOrder;
import io.encoder4j.datasets.tasks.qa.QaBatch;
import io.encoder4j.datasets.tasks.qa.QaFeatures;
import io.encoder4j.datasets.tasks.qa.QaPostprocessor;
import io.encoder4j.datasets.tasks.qa.QaPrediction;
import io.encoder4j.datasets.tasks.qa.SquadAnswer;
import io.encoder4j.datasets.tasks.qa.SquadExample;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.QuestionAnsweringModel;
import io.encoder4j.training.loop.Metric;
import io.encoder4j.training.loop.MicroBatch;
import io.encoder4j.training.loop.TrainingTask;
import io.encoder4j.training.metrics.SquadMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Extractive question answering as a {@link TrainingTask}: trains the start/end head on the windows
 * ({@link QaFeatures}) of the training questions, batch {@code k} from a seeded {@link BatchOrder}; evaluates exact
 * match and F1 (official SQuAD normalisation) of the post-processed answers ({@link QaPostprocessor}, run_qa's) on
 * the validation questions. The question is made global by the model when it has Longformer layers.
 */
public final class QuestionAnsweringTask implements TrainingTask<QuestionAnsweringTask.Batch> {

    /** One micro-batch on the host: ids and mask (B, N), gold start and end (B). */
    public record Batch(long[] ids, float[] mask, long[] start, long[] end, int rows, int length)
            implements MicroBatch {
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

    private final QuestionAnsweringModel model;
    private final NDManager manager;
    private final ParameterStore parameterStore;
    private final QaFeatures train;
    private final QaFeatures validation;
    private final MicroBatchRows steps;
    private final Path tokenizerJson;

    public QuestionAnsweringTask(QuestionAnsweringModel model, NDManager manager, QaFeatures train,
            QaFeatures validation, int batchSize, int microBatches, long seed, Path tokenizerJson) {
        this.model = model;
        this.manager = manager;
        this.parameterStore = new ParameterStore(manager, false);
        this.train = train;
        this.validation = validation;
        this.steps = MicroBatchRows.training(train.size(), batchSize, microBatches, seed);
        this.tokenizerJson = tokenizerJson;
    }

    @Override
    public String name() {
        return "question answering";
    }

    @Override
    public PairList<String, Parameter> parameters() {
        return model.getParameters();
    }

    @Override
    public List<Batch> microBatches(long step) {
        return steps.of(step, rows -> {
            QaBatch qb = train.batch(rows);
            return new Batch(MicroBatchRows.longs(qb.inputIds()), MicroBatchRows.floats(qb.attentionMask()),
                    MicroBatchRows.longs(qb.startPositions()), MicroBatchRows.longs(qb.endPositions()),
                    qb.batchSize(), qb.length());
        });
    }

    @Override
    public NDArray loss(Batch batch) {
        // ids, mask: (B, N); start, end: (B)
        Shape shape = new Shape(batch.rows(), batch.length());
        NDArray ids = manager.create(batch.ids(), shape);
        NDArray mask = manager.create(batch.mask(), shape);
        QuestionAnsweringModel.SpanLogits span = model.logits(parameterStore, ids, mask, true);
        return QuestionAnsweringModel.loss(span, mask, manager.create(batch.start()), manager.create(batch.end()));
    }

    @Override
    public void backward(GradientCollector collector, NDArray loss) {
        model.encoder().backward(collector, loss);
    }

    /**
     * The windows are framed {@code <s> question </s></s> context </s>} with the tokenizer's {@code </s>}
     * ({@link QaFeatures}). A head that finds the question by its separator (global attention on the question,
     * BigBird's token types and question mask) must look for that id, or it would silently see no question.
     *
     * @throws ConfigException naming the model's {@code head.sep_token_id} when it is another id
     */
    public static void requireFrameSeparator(QuestionAnsweringModel model, int eosId, Path modelDir) {
        boolean findsQuestion = model.usesGlobalAttention() || model.head().isBigBirdQa();
        if (findsQuestion && model.head().sepTokenId() != eosId) {
            throw new ConfigException(modelDir.resolve(ModelDirectory.CONFIG_FILE) + ": head.sep_token_id "
                    + model.head().sepTokenId() + " is not the tokenizer's </s> (" + eosId + "), which ends the "
                    + "question in the windows encoder4j builds (<s> question </s></s> context </s>); this head "
                    + "finds the question by that separator");
        }
    }

    /** One prediction per example of {@code features}, in example order. */
    public static List<QaPrediction> predict(QuestionAnsweringModel model, NDManager manager, QaFeatures features,
            int batchSize) {
        ParameterStore ps = new ParameterStore(manager, false);
        BatchOrder sequential = BatchOrder.sequential(features.size(), batchSize);
        float[][] starts = new float[features.size()][];
        float[][] ends = new float[features.size()][];
        for (long k = 0; k < sequential.batchesPerEpoch(); k++) {
            QaBatch qb = features.batch(sequential, k);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Shape shape = new Shape(qb.batchSize(), qb.length());
                NDArray ids = manager.create(qb.inputIds(), shape).toType(DataType.INT64, false);
                NDArray mask = manager.create(qb.attentionMask(), shape).toType(DataType.FLOAT32, false);
                QuestionAnsweringModel.SpanLogits span = model.logits(ps, ids, mask, false);
                float[] s = span.start().toFloatArray();
                float[] e = span.end().toFloatArray();
                int n = qb.length();
                for (int i = 0; i < qb.batchSize(); i++) {
                    int f = (int) qb.features()[i];
                    starts[f] = Arrays.copyOfRange(s, i * n, (i + 1) * n);
                    ends[f] = Arrays.copyOfRange(e, i * n, (i + 1) * n);
                }
            }
        }
        return QaPostprocessor.defaults(false).predict(features, starts, ends);
    }

    /** Exact match and F1 (fractions in [0, 1]; the official script prints them x 100) of {@code predictions} against the gold answers. */
    public static Map<String, Double> metrics(List<SquadExample> examples, List<QaPrediction> predictions) {
        List<String> texts = new ArrayList<>();
        List<List<String>> gold = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            texts.add(predictions.get(i).text());
            gold.add(examples.get(i).answers().stream().map(SquadAnswer::text).toList());
        }
        SquadMetrics.Score score = SquadMetrics.score(texts, gold);
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("exact_match", score.exactMatch());
        out.put("f1", score.f1());
        out.put("questions", (double) score.questions());
        return out;
    }

    @Override
    public Map<String, Double> evaluate() {
        return metrics(validation.examples(), predict(model, manager, validation, steps.batchSize()));
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.higherIsBetter("exact_match"), Metric.higherIsBetter("f1"));
    }

    @Override
    public String defaultBestMetric() {
        return "f1";
    }

    @Override
    public void saveModel(Path dir) throws IOException {
        ModelDirectory.save(model, tokenizerJson, dir);
    }
}
