package io.encoder4j.training.optim;

import java.util.List;

/**
 * The learning rate of each optimizer step: a pure function of the step, so that a resumed run needs only the step
 * count. Every schedule starts with a linear warm-up from {@code peak / warmupSteps} to {@code peak} over the first
 * {@code warmupSteps} steps (step {@code s < warmupSteps} uses {@code peak (s + 1) / warmupSteps}, so the first step
 * already moves), then follows its own shape down to {@code minRatio * peak}.
 */
public sealed interface LearningRateSchedule {

    /** The names {@code training.schedule} accepts. */
    List<String> NAMES = List.of("linear", "cosine", "constant", "warmup_stable_decay");

    /** Learning rate for optimizer step {@code step} (0-based). */
    float at(long step);

    /**
     * @param decaySteps length of the final decay of {@code warmup_stable_decay} (ignored by the others)
     */
    static LearningRateSchedule of(String name, float peak, int warmupSteps, int totalSteps, float minRatio,
            int decaySteps) {
        return switch (name) {
            case "linear" -> new Linear(peak, warmupSteps, totalSteps, minRatio);
            case "cosine" -> new Cosine(peak, warmupSteps, totalSteps, minRatio);
            case "constant" -> new Constant(peak, warmupSteps);
            case "warmup_stable_decay" -> new WarmupStableDecay(peak, warmupSteps, totalSteps, minRatio, decaySteps);
            default -> throw new IllegalArgumentException("unknown schedule '" + name + "'; known: " + NAMES);
        };
    }

    /** {@code peak (s + 1) / warmupSteps} during warm-up, NaN after it. */
    private static float warmUp(float peak, int warmupSteps, long step) {
        return step < warmupSteps ? peak * (step + 1) / warmupSteps : Float.NaN;
    }

    /** {@code min + (peak - min) * fraction}, fraction clamped to [0, 1]. */
    private static float between(float peak, float minRatio, double fraction) {
        double f = Math.max(0, Math.min(1, fraction));
        return (float) (peak * (minRatio + (1 - minRatio) * f));
    }

    /**
     * BERT's schedule (transformers' {@code get_linear_schedule_with_warmup}): linear decay from the peak at the end
     * of warm-up to {@code minRatio * peak} at {@code totalSteps}.
     */
    record Linear(float peak, int warmupSteps, int totalSteps, float minRatio) implements LearningRateSchedule {
        @Override
        public float at(long step) {
            if (step < warmupSteps) {
                return warmUp(peak, warmupSteps, step);
            }
            return between(peak, minRatio, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
        }
    }

    /**
     * Half a cosine from the peak to {@code minRatio * peak} (Loshchilov and Hutter 2017, SGDR, without restarts;
     * transformers' {@code get_cosine_schedule_with_warmup}): {@code min + (peak - min) (1 + cos(pi p)) / 2} with p
     * the fraction of the post-warm-up steps done.
     */
    record Cosine(float peak, int warmupSteps, int totalSteps, float minRatio) implements LearningRateSchedule {
        @Override
        public float at(long step) {
            if (step < warmupSteps) {
                return warmUp(peak, warmupSteps, step);
            }
            double p = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
            return between(peak, minRatio, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, p))));
        }
    }

    /** The peak after warm-up, for ever. */
    record Constant(float peak, int warmupSteps) implements LearningRateSchedule {
        @Override
        public float at(long step) {
            return step < warmupSteps ? warmUp(peak, warmupSteps, step) : peak;
        }
    }

    /**
     * Warm-up, a stable phase at the peak, and a linear decay to {@code minRatio * peak} over the last
     * {@code decaySteps} steps (the "WSD" schedule of Hu et al. 2024, MiniCPM; Hägele et al. 2024 study its decay
     * length, 10-20% of training being typical). A run can be extended from a checkpoint taken in the stable phase.
     */
    record WarmupStableDecay(float peak, int warmupSteps, int totalSteps, float minRatio, int decaySteps)
            implements LearningRateSchedule {
        @Override
        public float at(long step) {
            if (step < warmupSteps) {
                return warmUp(peak, warmupSteps, step);
            }
            long decayStart = (long) totalSteps - decaySteps;
            if (step < decayStart) {
                return peak;
            }
            return between(peak, minRatio, (double) (totalSteps - step) / Math.max(1, decaySteps));
        }
    }
}
