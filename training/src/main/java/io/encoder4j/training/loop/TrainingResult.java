package io.encoder4j.training.loop;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a training run achieved.
 *
 * @param steps optimizer steps done, skipped ones included
 * @param stopReason {@code max_steps} or {@code early_stopping}
 * @param finalEvaluation the metrics of the last evaluation (of the last weights)
 * @param bestCheckpoint the checkpoint holding the best weights
 * @param trainSeconds wall time of training and evaluation, over every session of a resumed run
 */
public record TrainingResult(
        long steps,
        String stopReason,
        Map<String, Double> finalEvaluation,
        String bestMetric,
        double bestValue,
        long bestStep,
        Path bestCheckpoint,
        long skippedSteps,
        double trainSeconds,
        long tokens,
        double tokensPerSecond) {

    /** A metric of the final evaluation, NaN if absent. */
    public double finalMetric(String name) {
        Double v = finalEvaluation.get(name);
        return v == null ? Double.NaN : v;
    }
}
