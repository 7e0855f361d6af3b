package io.encoder4j.training.loop;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.encoder4j.core.config.Checks;
import io.encoder4j.core.config.Suggestions;
import io.encoder4j.training.optim.LearningRateSchedule;
import io.encoder4j.training.optim.LossScale;

/**
 * The {@code training} section: optimisation, the cadence of logging, evaluation and checkpoints, and the device.
 * The effective batch is {@code batchSize * gradientAccumulationSteps} sequences per optimizer step. Every job that
 * runs the {@link Trainer} (pretraining, fine-tuning) shares it. docs/training.md describes each key.
 *
 * @param schedule {@code linear}, {@code cosine}, {@code constant} or {@code warmup_stable_decay}, all after a
 *     linear warm-up of {@code warmupSteps}
 * @param minLrRatio where the decay ends, as a fraction of the peak learning rate
 * @param decaySteps length of the final decay of {@code warmup_stable_decay} (default a tenth of the run)
 * @param evalBatches validation batches per evaluation; 0 means the whole validation split
 * @param saveEvery steps between checkpoints (default: {@code evalEvery}); the last step is always saved
 * @param saveTotalLimit checkpoints kept, newest first, besides the best one; 0 keeps all
 * @param bestMetric the evaluation metric for best-checkpoint tracking and early stopping (default: the task's,
 *     the loss for masked-LM)
 * @param earlyStoppingPatience stop after this many evaluations without an improvement of the best metric by more
 *     than {@code earlyStoppingThreshold}; 0 never stops early
 * @param loadBestAtEnd whether {@code model/} gets the best checkpoint's weights instead of the last ones
 * @param maxConsecutiveNonfinite stop after this many steps in a row whose loss or gradient was NaN or infinite (each
 *     is skipped)
 * @param device {@code auto} (a GPU if PyTorch sees one, else the CPU), {@code cpu}, {@code gpu} or {@code gpu:N}; a
 *     YAML list such as {@code [gpu:0, gpu:1]} trains data-parallel ({@link DataParallel}), held comma-joined
 * @param precision {@code fp32}, or {@code fp16}: FP16 forward and backward with FP32 master weights and dynamic loss
 *     scaling ({@link MixedPrecision})
 * @param initialLossScale the loss scale an {@code fp16} run starts with (GradScaler's 2^16)
 * @param lossScaleGrowthInterval applied steps in a row after which an {@code fp16} run doubles its loss scale
 */
public record TrainingConfig(
        Integer batchSize,
        Integer gradientAccumulationSteps,
        Integer maxSteps,
        Float learningRate,
        String schedule,
        Integer warmupSteps,
        Float minLrRatio,
        Integer decaySteps,
        Float weightDecay,
        Float adamBeta1,
        Float adamBeta2,
        Float adamEpsilon,
        Float maxGradNorm,
        Integer logEvery,
        Integer evalEvery,
        Integer evalBatches,
        Integer saveEvery,
        Integer saveTotalLimit,
        String bestMetric,
        Integer earlyStoppingPatience,
        Float earlyStoppingThreshold,
        Boolean loadBestAtEnd,
        Integer maxConsecutiveNonfinite,
        @JsonDeserialize(using = DeviceSelection.Reader.class) @JsonSerialize(using = DeviceSelection.Writer.class)
        String device,
        String precision,
        Double initialLossScale,
        Integer lossScaleGrowthInterval) {

    public static final String WARMUP_STABLE_DECAY = "warmup_stable_decay";
    public static final String FP32 = "fp32";
    public static final String FP16 = "fp16";

    /** Every field at its default. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public TrainingConfig {
        batchSize = batchSize == null ? 32 : batchSize;
        gradientAccumulationSteps = gradientAccumulationSteps == null ? 1 : gradientAccumulationSteps;
        maxSteps = maxSteps == null ? 1000 : maxSteps;
        learningRate = learningRate == null ? 5e-4f : learningRate;
        schedule = schedule == null ? "linear" : schedule;
        warmupSteps = warmupSteps == null ? Math.max(1, maxSteps / 20) : warmupSteps;
        minLrRatio = minLrRatio == null ? 0f : minLrRatio;
        if (decaySteps == null && WARMUP_STABLE_DECAY.equals(schedule)) {
            decaySteps = Math.max(1, maxSteps / 10);
        }
        weightDecay = weightDecay == null ? 0.01f : weightDecay;
        adamBeta1 = adamBeta1 == null ? 0.9f : adamBeta1;
        adamBeta2 = adamBeta2 == null ? 0.98f : adamBeta2;
        adamEpsilon = adamEpsilon == null ? 1e-6f : adamEpsilon;
        maxGradNorm = maxGradNorm == null ? 1.0f : maxGradNorm;
        logEvery = logEvery == null ? 10 : logEvery;
        evalEvery = evalEvery == null ? 200 : evalEvery;
        evalBatches = evalBatches == null ? 0 : evalBatches;
        saveEvery = saveEvery == null ? evalEvery : saveEvery;
        saveTotalLimit = saveTotalLimit == null ? 2 : saveTotalLimit;
        earlyStoppingPatience = earlyStoppingPatience == null ? 0 : earlyStoppingPatience;
        earlyStoppingThreshold = earlyStoppingThreshold == null ? 0f : earlyStoppingThreshold;
        loadBestAtEnd = loadBestAtEnd != null && loadBestAtEnd;
        maxConsecutiveNonfinite = maxConsecutiveNonfinite == null ? 10 : maxConsecutiveNonfinite;
        device = device == null ? DeviceSelection.AUTO : device;
        precision = precision == null ? FP32 : precision;
        initialLossScale = initialLossScale == null ? LossScale.DEFAULT_INITIAL : initialLossScale;
        lossScaleGrowthInterval = lossScaleGrowthInterval == null ? LossScale.DEFAULT_GROWTH_INTERVAL
                : lossScaleGrowthInterval;
        Checks.positive("batch_size", batchSize);
        Checks.positive("gradient_accumulation_steps", gradientAccumulationSteps);
        Checks.positive("max_steps", maxSteps);
        Checks.positive("learning_rate", learningRate);
        if (!LearningRateSchedule.NAMES.contains(schedule)) {
            throw new IllegalArgumentException("schedule: unknown schedule '" + schedule + "'"
                    + Suggestions.didYouMean(schedule, LearningRateSchedule.NAMES) + "; known: "
                    + String.join(", ", LearningRateSchedule.NAMES));
        }
        Checks.nonNegative("warmup_steps", warmupSteps);
        Checks.fraction("min_lr_ratio", minLrRatio);
        if (decaySteps != null) {
            if (!WARMUP_STABLE_DECAY.equals(schedule)) {
                throw new IllegalArgumentException("decay_steps is only used by schedule " + WARMUP_STABLE_DECAY
                        + ", not by " + schedule);
            }
            Checks.positive("decay_steps", decaySteps);
            if (decaySteps > maxSteps) {
                throw new IllegalArgumentException("decay_steps " + decaySteps + " is more than max_steps " + maxSteps);
            }
        }
        Checks.nonNegative("weight_decay", weightDecay);
        Checks.probability("adam_beta1", adamBeta1);
        Checks.probability("adam_beta2", adamBeta2);
        Checks.positive("adam_epsilon", adamEpsilon);
        Checks.nonNegative("max_grad_norm", maxGradNorm);
        Checks.positive("log_every", logEvery);
        Checks.positive("eval_every", evalEvery);
        Checks.nonNegative("eval_batches", evalBatches);
        Checks.positive("save_every", saveEvery);
        Checks.nonNegative("save_total_limit", saveTotalLimit);
        if (bestMetric != null) {
            Checks.nonBlank("best_metric", bestMetric);
        }
        Checks.nonNegative("early_stopping_patience", earlyStoppingPatience);
        Checks.nonNegative("early_stopping_threshold", earlyStoppingThreshold);
        Checks.positive("max_consecutive_nonfinite", maxConsecutiveNonfinite);
        DeviceSelection.checkSyntax(device);
        if (!FP32.equals(precision) && !FP16.equals(precision)) {
            // bf16 crashes DJL 0.35.1 natively (DJL-NOTES.md), so it is not offered.
            throw new IllegalArgumentException("precision must be fp32 or fp16, got '" + precision + "'"
                    + Suggestions.didYouMean(precision, java.util.List.of(FP32, FP16)));
        }
        if (!(initialLossScale > 0) || Double.isInfinite(initialLossScale)) {
            throw new IllegalArgumentException("initial_loss_scale must be positive and finite, got "
                    + initialLossScale);
        }
        Checks.positive("loss_scale_growth_interval", lossScaleGrowthInterval);
    }

    /** The learning-rate schedule these settings describe. */
    public LearningRateSchedule learningRateSchedule() {
        return LearningRateSchedule.of(schedule, learningRate, warmupSteps, maxSteps, minLrRatio,
                decaySteps == null ? 0 : decaySteps);
    }
}
