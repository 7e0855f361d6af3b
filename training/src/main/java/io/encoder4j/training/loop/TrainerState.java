package io.encoder4j.training.loop;

import java.util.Map;

/**
 * {@code trainer_state.json} of a checkpoint: everything besides weights and optimizer moments that a resumed run
 * needs to continue exactly where the saved one was. The data cursor is {@link #step}: the task's batches are a pure
 * function of (seed, step), so the next batch is {@code microBatches(step)}. Device randomness is re-seeded from
 * (seed, step) before every step, so no generator state needs saving.
 *
 * @param format version of this layout
 * @param job the job kind that wrote it ({@code pretrain}), which {@code encoder4j resume} dispatches on
 * @param step optimizer steps done (skipped ones included): the next step to run
 * @param appliedUpdates optimizer updates applied (skipped steps excluded), also in the optimizer state
 * @param intervalLossSum sum of the step losses since the last logged row, so that the next row after a resume
 *     reports the same mean as the uninterrupted run
 * @param bestValue the best value of {@code bestMetric} so far, or null before the first evaluation
 * @param metricsBytes length of {@code metrics.jsonl} at the checkpoint; a resumed run truncates it there
 * @param tokens input tokens trained on so far
 * @param jobState what the job needs to check on resume (the prepared data's fingerprint)
 * @param lossScale the loss scale of an {@code fp16} run (null in an {@code fp32} one)
 * @param lossScaleCleanSteps applied steps since the loss scale last changed ({@code fp16} runs)
 */
public record TrainerState(
        Integer format,
        String job,
        Long step,
        Long maxSteps,
        Long seed,
        Long appliedUpdates,
        Long skippedSteps,
        Long consecutiveNonfinite,
        Double intervalLossSum,
        Long intervalGoodSteps,
        Long intervalSteps,
        String bestMetric,
        Double bestValue,
        Long bestStep,
        Integer evaluationsWithoutImprovement,
        Long metricsBytes,
        Double trainSeconds,
        Long tokens,
        String rng,
        Map<String, String> jobState,
        Double lossScale,
        Long lossScaleCleanSteps) {

    public static final int FORMAT = 1;
    public static final String FILE = "trainer_state.json";
    /** How device randomness is reproduced, recorded for readers of the checkpoint. */
    public static final String RNG_SCHEME = "engine seed = splitmix(seed, step), set before every step";

    public TrainerState {
        jobState = jobState == null ? Map.of() : Map.copyOf(jobState);
    }
}
