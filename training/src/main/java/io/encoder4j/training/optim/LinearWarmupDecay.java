package io.encoder4j.training.optim;

/**
 * BERT's learning-rate schedule: linear warm-up from 0 to {@code peak} over {@code warmupSteps}, then linear decay
 * to 0 at {@code totalSteps} (transformers' {@code get_linear_schedule_with_warmup}).
 */
public record LinearWarmupDecay(float peak, int warmupSteps, int totalSteps) {

    /** Learning rate for optimizer step {@code step} (0-based). */
    public float at(long step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        long decaySteps = Math.max(1, totalSteps - warmupSteps);
        return peak * Math.max(0f, (float) (totalSteps - step) / decaySteps);
    }
}
