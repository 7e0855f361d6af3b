package io.encoder4j.training.pretrain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.tensor.Scalars;
import io.encoder4j.datasets.masking.MaskedBatch;
import io.encoder4j.datasets.masking.MlmMasker;
import io.encoder4j.datasets.pretraining.BlockBatchSampler;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.training.optim.AdamW;
import io.encoder4j.training.optim.LearningRateSchedule;
import io.encoder4j.training.run.MetricsLog;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The masked-LM training loop. Each micro-batch runs forward and backward inside an {@link NDScope} (so every
 * activation is freed when it ends); the optimizer step runs outside it (its state must outlive the scope, see
 * DJL-NOTES.md). The loop reads values back from the device only at logging and evaluation steps.
 */
public final class MaskedLmPretrainer {

    private static final Logger LOG = LoggerFactory.getLogger(MaskedLmPretrainer.class);
    private static final long EVAL_SALT = 0x5EED_E7A1L;

    /** Validation metrics: mean loss per predicted token, accuracy of the arg-max, and the number of tokens. */
    public record Evaluation(double loss, double accuracy, long tokens) {
        public double perplexity() {
            return Math.exp(loss);
        }
    }

    /** What the run achieved. */
    public record Result(long steps, Evaluation finalEvaluation, double tokensPerSecond, double seconds) {}

    private final MaskedLmModel model;
    private final NDManager manager;
    private final ParameterStore parameterStore;
    private final BlockBatchSampler train;
    private final BlockBatchSampler validation;
    private final long evalBatches;
    private final MlmMasker masker;
    private final TrainingConfig config;
    private final long seed;
    private final MetricsLog metrics;
    private final double unigramBaseline;

    public MaskedLmPretrainer(MaskedLmModel model, NDManager manager, BlockBatchSampler train,
            BlockBatchSampler validation, MlmMasker masker, TrainingConfig config, long seed, MetricsLog metrics,
            double unigramBaseline) {
        this.model = model;
        this.manager = manager;
        this.parameterStore = new ParameterStore(manager, false);
        this.train = train;
        this.validation = validation;
        this.evalBatches = config.evalBatches() == 0 ? validation.batchesPerEpoch()
                : Math.min(config.evalBatches(), validation.batchesPerEpoch());
        this.masker = masker;
        this.config = config;
        this.seed = seed;
        this.metrics = metrics;
        this.unigramBaseline = unigramBaseline;
    }

    public Result train() throws IOException {
        int accumulation = config.gradientAccumulationSteps();
        int total = config.maxSteps();
        LearningRateSchedule schedule = LearningRateSchedule.of("linear", config.learningRate(), config.warmupSteps(), total, 0f, 0);
        long tokensPerStep = (long) train.batchSize() * train.seqLength() * accumulation;
        Evaluation last = null;
        long started = System.nanoTime();
        long intervalStarted = started;
        try (AdamW optimizer = new AdamW(model.getParameters(), manager, config.adamBeta1(), config.adamBeta2(),
                        config.adamEpsilon(), config.weightDecay(), config.maxGradNorm());
                NDManager accumulators = manager.newSubManager()) {
            // Summed on the device, read once per logging interval.
            NDArray lossSum = accumulators.zeros(new Shape(), DataType.FLOAT32);
            int lossCount = 0;
            for (int step = 0; step < total; step++) {
                float lr = schedule.at(step);
                for (int micro = 0; micro < accumulation; micro++) {
                    long k = (long) step * accumulation + micro;
                    MaskedBatch batch = masker.mask(train.batch(k), seed * 0x9E3779B97F4A7C15L + k);
                    try (NDScope scope = new NDScope();
                            GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        scope.suppressNotUsedWarning();
                        NDArray loss = loss(batch, true);
                        collector.backward(accumulation == 1 ? loss : Scalars.div(loss, accumulation));
                        lossSum.addi(loss.stopGradient());
                    }
                    lossCount++;
                }
                boolean logNow = (step + 1) % config.logEvery() == 0 || step + 1 == total;
                float gradNorm = optimizer.step(lr, logNow);
                if (logNow) {
                    double loss = lossSum.getFloat() / lossCount;
                    if (!Double.isFinite(loss)) {
                        // Once a step diverges every later one is NaN too: stop instead of training on.
                        throw new ConfigException("training.learning_rate: the loss became " + loss + " before step "
                                + (step + 1) + "; lower learning_rate (" + config.learningRate() + ") or raise "
                                + "warmup_steps (" + config.warmupSteps() + ")");
                    }
                    lossSum.close();
                    lossSum = accumulators.zeros(new Shape(), DataType.FLOAT32);
                    lossCount = 0;
                    long now = System.nanoTime();
                    int stepsInInterval = (step + 1) % config.logEvery() == 0 ? config.logEvery()
                            : (step + 1) % config.logEvery();
                    double tokensPerSecond = stepsInInterval * tokensPerStep / ((now - intervalStarted) / 1e9);
                    intervalStarted = now;
                    double elapsed = (now - started) / 1e9;
                    double eta = elapsed / (step + 1) * (total - step - 1);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("loss", loss);
                    row.put("lr", lr);
                    row.put("grad_norm", gradNorm);
                    row.put("tokens_per_second", Math.round(tokensPerSecond));
                    row.put("elapsed_seconds", round(elapsed));
                    // Arrays alive outside the step scopes: constant from step to step unless something leaks.
                    row.put("native_arrays", manager.getManagedArrays().size());
                    metrics.log(step + 1, "train", row);
                    LOG.info("step {}/{} | loss {} | lr {} | {} tok/s | elapsed {} | ETA {}", step + 1, total,
                            String.format("%.4f", loss), String.format("%.2e", lr),
                            String.format("%,.0f", tokensPerSecond), duration(elapsed), duration(eta));
                }
                if ((step + 1) % config.evalEvery() == 0 || step + 1 == total) {
                    last = evaluate();
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("loss", last.loss());
                    row.put("accuracy", last.accuracy());
                    row.put("perplexity", last.perplexity());
                    row.put("lr", lr);
                    row.put("unigram_baseline", unigramBaseline);
                    row.put("tokens", last.tokens());
                    metrics.log(step + 1, "eval", row);
                    LOG.info("eval at step {} | loss {} (unigram baseline {}) | accuracy {} | perplexity {}",
                            step + 1, String.format("%.4f", last.loss()), String.format("%.4f", unigramBaseline),
                            String.format("%.4f", last.accuracy()), String.format("%.1f", last.perplexity()));
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Result(total, last, total * tokensPerStep / seconds, seconds);
    }

    /** Masked-LM loss, accuracy and perplexity on the first {@code eval_batches} validation batches. */
    public Evaluation evaluate() {
        double lossSum = 0;
        long correct = 0;
        long tokens = 0;
        for (long j = 0; j < evalBatches; j++) {
            // The same corruption at every evaluation, so successive numbers are comparable.
            MaskedBatch batch = masker.mask(validation.batch(j), (seed ^ EVAL_SALT) * 0x9E3779B97F4A7C15L + j);
            try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
                NDArray labels = manager.create(batch.labels());
                NDArray logits = logits(batch, false);
                long m = batch.labels().length;
                lossSum += MaskedLmModel.loss(logits, labels).getFloat() * m;
                correct += MaskedLmModel.correct(logits, labels).toType(DataType.INT64, false).getLong();
                tokens += m;
            }
        }
        return new Evaluation(lossSum / tokens, (double) correct / tokens, tokens);
    }

    private NDArray loss(MaskedBatch batch, boolean training) {
        NDArray labels = manager.create(batch.labels());
        return MaskedLmModel.loss(logits(batch, training), labels);
    }

    private NDArray logits(MaskedBatch batch, boolean training) {
        int n = train.seqLength();
        long[] ids = new long[batch.inputIds().length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = batch.inputIds()[i];
        }
        NDArray idArray = manager.create(ids, new Shape(ids.length / n, n));
        // Packed blocks are full: every position is a real token.
        NDArray mask = manager.ones(idArray.getShape(), DataType.FLOAT32);
        NDArray positions = manager.create(batch.maskedPositions());
        return model.maskedLogits(parameterStore, idArray, mask, positions, training);
    }

    private static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
