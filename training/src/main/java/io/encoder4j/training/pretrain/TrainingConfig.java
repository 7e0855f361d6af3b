package io.encoder4j.training.pretrain;

import io.encoder4j.core.config.Checks;

/**
 * The {@code training} section: optimisation and the cadence of logging and evaluation. The effective batch is
 * {@code batchSize * gradientAccumulationSteps} sequences per optimizer step.
 *
 * @param evalBatches validation batches per evaluation; 0 means the whole validation split
 */
public record TrainingConfig(
        Integer batchSize,
        Integer gradientAccumulationSteps,
        Integer maxSteps,
        Float learningRate,
        Integer warmupSteps,
        Float weightDecay,
        Float adamBeta1,
        Float adamBeta2,
        Float adamEpsilon,
        Float maxGradNorm,
        Integer logEvery,
        Integer evalEvery,
        Integer evalBatches) {

    /** Every field at its default. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    public TrainingConfig {
        batchSize = batchSize == null ? 32 : batchSize;
        gradientAccumulationSteps = gradientAccumulationSteps == null ? 1 : gradientAccumulationSteps;
        maxSteps = maxSteps == null ? 1000 : maxSteps;
        learningRate = learningRate == null ? 5e-4f : learningRate;
        warmupSteps = warmupSteps == null ? Math.max(1, maxSteps / 20) : warmupSteps;
        weightDecay = weightDecay == null ? 0.01f : weightDecay;
        adamBeta1 = adamBeta1 == null ? 0.9f : adamBeta1;
        adamBeta2 = adamBeta2 == null ? 0.98f : adamBeta2;
        adamEpsilon = adamEpsilon == null ? 1e-6f : adamEpsilon;
        maxGradNorm = maxGradNorm == null ? 1.0f : maxGradNorm;
        logEvery = logEvery == null ? 10 : logEvery;
        evalEvery = evalEvery == null ? 200 : evalEvery;
        evalBatches = evalBatches == null ? 0 : evalBatches;
        Checks.positive("batch_size", batchSize);
        Checks.positive("gradient_accumulation_steps", gradientAccumulationSteps);
        Checks.positive("max_steps", maxSteps);
        Checks.positive("learning_rate", learningRate);
        Checks.nonNegative("warmup_steps", warmupSteps);
        Checks.nonNegative("weight_decay", weightDecay);
        Checks.probability("adam_beta1", adamBeta1);
        Checks.probability("adam_beta2", adamBeta2);
        Checks.positive("adam_epsilon", adamEpsilon);
        Checks.nonNegative("max_grad_norm", maxGradNorm);
        Checks.positive("log_every", logEvery);
        Checks.positive("eval_every", evalEvery);
        Checks.nonNegative("eval_batches", evalBatches);
    }
}
