package io.encoder4j.training.pretrain;

import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.datasets.masking.MaskedBatch;
import io.encoder4j.datasets.masking.MlmMasker;
import io.encoder4j.datasets.pretraining.BlockBatchSampler;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.training.loop.Metric;
import io.encoder4j.training.loop.MicroBatch;
import io.encoder4j.training.loop.Replica;
import io.encoder4j.training.loop.TrainingTask;
import io.encoder4j.training.metrics.MaskedLmMetrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Masked-language-model pretraining as a {@link TrainingTask}. Step {@code k} takes batch {@code k} of a sampler
 * whose batch is the whole step ({@code batch_size * gradient_accumulation_steps} blocks), masks it with a seed
 * derived from {@code k}, and cuts it into micro-batches of {@code batch_size} rows. So accumulating k micro-batches
 * trains on exactly the batch, and the masks, of one batch k times as large.
 */
public final class MaskedLmTask implements TrainingTask<MaskedLmTask.Batch> {

    private static final long EVAL_SALT = 0x5EED_E7A1L;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /**
     * One micro-batch packed into one INT64 buffer, so that it reaches the device in one copy: the ids (rows x
     * length), then the masked positions (flat indices into the micro-batch), then their labels.
     */
    public record Batch(long[] packed, int rows, int seqLength, int masked) implements MicroBatch {
        @Override
        public long lossWeight() {
            return masked;
        }

        @Override
        public long tokens() {
            return (long) rows * seqLength;
        }
    }

    private final MaskedLmModel model;
    /** The model on the task's device: what {@link #loss} and {@link #evaluate} run. */
    private final OnDevice primary;
    private final BlockBatchSampler train;
    private final int microBatches;
    private final BlockBatchSampler validation;
    private final long evalBatches;
    private final MlmMasker masker;
    private final long seed;
    private final double unigramBaseline;
    private final Path tokenizerJson;

    /**
     * @param train sampler whose batch is one optimizer step: {@code microBatches} micro-batches of equal size
     * @param evalBatches validation batches per evaluation; 0 for all
     */
    public MaskedLmTask(MaskedLmModel model, NDManager manager, BlockBatchSampler train, int microBatches,
            BlockBatchSampler validation, long evalBatches, MlmMasker masker, long seed, double unigramBaseline,
            Path tokenizerJson) {
        if (train.batchSize() % microBatches != 0) {
            throw new IllegalArgumentException("a step of " + train.batchSize() + " rows does not split into "
                    + microBatches + " micro-batches");
        }
        this.model = model;
        this.primary = new OnDevice(model, manager);
        this.train = train;
        this.microBatches = microBatches;
        this.validation = validation;
        this.evalBatches = evalBatches == 0 ? validation.batchesPerEpoch()
                : Math.min(evalBatches, validation.batchesPerEpoch());
        this.masker = masker;
        this.seed = seed;
        this.unigramBaseline = unigramBaseline;
        this.tokenizerJson = tokenizerJson;
    }

    @Override
    public String name() {
        return "masked-LM";
    }

    @Override
    public PairList<String, Parameter> parameters() {
        return model.getParameters();
    }

    public MaskedLmModel model() {
        return model;
    }

    @Override
    public List<Batch> microBatches(long step) {
        int n = train.seqLength();
        int rows = train.batchSize() / microBatches;
        MaskedBatch masked = masker.mask(train.batch(step), seed * GOLDEN + step);
        long[] positions = masked.maskedPositions();
        List<Batch> out = new ArrayList<>(microBatches);
        int p = 0;
        for (int b = 0; b < microBatches; b++) {
            int first = b * rows * n;
            int from = p;
            // Positions are ascending: the micro-batch's ones are a contiguous run.
            while (p < positions.length && positions[p] < first + (long) rows * n) {
                p++;
            }
            out.add(pack(masked, first, rows, n, from, p - from));
        }
        return out;
    }

    @Override
    public void backward(GradientCollector collector, NDArray loss) {
        primary.backward(collector, loss);
    }

    @Override
    public NDArray loss(Batch batch) {
        return primary.loss(batch);
    }

    /** A fresh model of the same configuration on {@code manager}'s device; the engine copies the weights in. */
    @Override
    public Replica<Batch> replica(NDManager manager) {
        return new OnDevice(MaskedLmModel.create(model.config(), manager), manager);
    }

    /**
     * Rows split as evenly as possible (the first {@code rows % parts} parts get one more), each with the masked
     * positions that fall in its rows, relative to them.
     */
    @Override
    public List<Batch> split(Batch batch, int parts) {
        int n = batch.seqLength();
        int tokens = batch.rows() * n;
        List<Batch> out = new ArrayList<>(parts);
        int firstRow = 0;
        int p = 0;
        for (int k = 0; k < parts; k++) {
            int rows = batch.rows() / parts + (k < batch.rows() % parts ? 1 : 0);
            long first = (long) firstRow * n;
            long end = first + (long) rows * n;
            int from = p;
            // Positions are ascending: the part's ones are a contiguous run.
            while (p < batch.masked() && batch.packed()[tokens + p] < end) {
                p++;
            }
            int m = p - from;
            long[] packed = new long[rows * n + 2 * m];
            System.arraycopy(batch.packed(), (int) first, packed, 0, rows * n);
            for (int j = 0; j < m; j++) {
                packed[rows * n + j] = batch.packed()[tokens + from + j] - first;
                packed[rows * n + m + j] = batch.packed()[tokens + batch.masked() + from + j];
            }
            out.add(new Batch(packed, rows, n, m));
            firstRow += rows;
        }
        return out;
    }

    /** The model on one device with its parameter store: the task's own, or a data-parallel {@link Replica}. */
    private static final class OnDevice implements Replica<Batch> {
        private final MaskedLmModel model;
        private final NDManager manager;
        private final ParameterStore parameterStore;

        OnDevice(MaskedLmModel model, NDManager manager) {
            this.model = model;
            this.manager = manager;
            this.parameterStore = new ParameterStore(manager, false);
        }

        @Override
        public PairList<String, Parameter> parameters() {
            return model.getParameters();
        }

        @Override
        public NDArray loss(Batch batch) {
            NDArray[] parts = upload(batch);
            return MaskedLmModel.loss(logits(parts, true), parts[2]);
        }

        @Override
        public void backward(GradientCollector collector, NDArray loss) {
            model.encoder().backward(collector, loss);
        }

        /** The batch on the device in one copy, split into views: ids (B, N), positions (M), labels (M). */
        NDArray[] upload(Batch batch) {
            int tokens = batch.rows() * batch.seqLength();
            NDArray all = manager.create(batch.packed());
            NDArray ids = all.get(new NDIndex("0:" + tokens)).reshape(batch.rows(), batch.seqLength());
            NDArray positions = all.get(new NDIndex(tokens + ":" + (tokens + batch.masked())));
            NDArray labels = all.get(new NDIndex((tokens + batch.masked()) + ":"));
            return new NDArray[] {ids, positions, labels};
        }

        NDArray logits(NDArray[] parts, boolean training) {
            // Packed blocks are full: every position is a real token.
            NDArray mask = manager.ones(parts[0].getShape(), DataType.FLOAT32);
            return model.maskedLogits(parameterStore, parts[0], mask, parts[1], training);
        }

        /** The task's own model stays open; a replica's arrays are its manager's, which the engine closes. */
        @Override
        public void close() {}
    }

    /** Masked-LM loss, accuracy and perplexity on the first {@code eval_batches} validation batches. */
    @Override
    public Map<String, Double> evaluate() {
        MaskedLmMetrics sums = MaskedLmMetrics.EMPTY;
        for (long j = 0; j < evalBatches; j++) {
            // The same corruption at every evaluation, so successive numbers are comparable.
            MaskedBatch masked = masker.mask(validation.batch(j), (seed ^ EVAL_SALT) * GOLDEN + j);
            Batch batch = pack(masked, 0, validation.batchSize(), validation.seqLength(), 0,
                    masked.labels().length);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray[] parts = primary.upload(batch);
                NDArray logits = primary.logits(parts, false);
                sums = sums.plus(MaskedLmModel.loss(logits, parts[2]).getFloat(),
                        MaskedLmModel.correct(logits, parts[2]).toType(DataType.INT64, false).getLong(),
                        batch.masked());
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", sums.loss());
        out.put("accuracy", sums.accuracy());
        out.put("perplexity", sums.perplexity());
        out.put("unigram_baseline", unigramBaseline);
        out.put("tokens", (double) sums.tokens());
        return out;
    }

    /**
     * Rows {@code first / n ...} of a masked batch as one micro-batch: its ids, and masked positions
     * {@code from ... from + m - 1} made relative to the micro-batch, with their labels.
     */
    private static Batch pack(MaskedBatch masked, int first, int rows, int n, int from, int m) {
        long[] packed = new long[rows * n + 2 * m];
        int[] ids = masked.inputIds();
        for (int i = 0; i < rows * n; i++) {
            packed[i] = ids[first + i];
        }
        for (int j = 0; j < m; j++) {
            packed[rows * n + j] = masked.maskedPositions()[from + j] - first;
            packed[rows * n + m + j] = masked.labels()[from + j];
        }
        return new Batch(packed, rows, n, m);
    }

    @Override
    public List<Metric> metrics() {
        return List.of(Metric.lowerIsBetter("loss"), Metric.higherIsBetter("accuracy"),
                Metric.lowerIsBetter("perplexity"));
    }

    @Override
    public void saveModel(Path dir) throws IOException {
        ModelDirectory.save(model, tokenizerJson, dir);
    }

    @Override
    public Optional<Reference> lossReference() {
        return Optional.of(new Reference(unigramBaseline, "unigram baseline"));
    }

    /** Shape of one step's batch on the host, for logs. */
    public Shape stepShape() {
        return new Shape(train.batchSize(), train.seqLength());
    }
}
