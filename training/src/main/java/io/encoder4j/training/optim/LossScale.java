package io.encoder4j.training.optim;

/**
 * Dynamic loss scaling for FP16 training (Micikevicius et al. 2018, "Mixed Precision Training", section 3.2), with
 * the rule of PyTorch's {@code torch.amp.GradScaler}: the loss is multiplied by {@code scale} before the backward
 * pass so that small gradients do not flush to zero in FP16; a step whose unscaled gradients are not finite is skipped
 * and the scale multiplied by {@code backoff}; after {@code growthInterval} applied steps in a row the scale is
 * multiplied by {@code growth}.
 *
 * <p>This record is the rule on the host, one step at a time; {@link DeviceLossScale} applies the same rule to device
 * tensors so that the training loop never reads the decision back. The tests check that both agree.
 *
 * @param scale the current scale
 * @param cleanSteps applied steps since the scale last changed
 */
public record LossScale(double scale, long cleanSteps) {

    /** GradScaler's defaults: init 2^16, growth 2, backoff 0.5, interval 2000. */
    public static final double DEFAULT_INITIAL = 65536;
    public static final double GROWTH = 2.0;
    public static final double BACKOFF = 0.5;
    public static final int DEFAULT_GROWTH_INTERVAL = 2000;
    /**
     * The scale never backs off below 2^-24 (FP16's smallest subnormal; exact in FP32). GradScaler has no floor; here
     * a run whose every step is skipped keeps halving until the host notices at its next sync point
     * ({@code max_consecutive_nonfinite}), and the floor keeps the scale a usable positive number until then.
     */
    public static final double MINIMUM = 0x1p-24;

    public LossScale {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("loss scale must be positive and finite, got " + scale);
        }
        if (cleanSteps < 0) {
            throw new IllegalArgumentException("clean steps must be >= 0, got " + cleanSteps);
        }
    }

    /** The state after a step that was applied ({@code true}) or skipped for a non-finite gradient or loss. */
    public LossScale next(boolean applied, int growthInterval) {
        if (!applied) {
            return new LossScale(Math.max(scale * BACKOFF, MINIMUM), 0);
        }
        long clean = cleanSteps + 1;
        return clean >= growthInterval ? new LossScale(scale * GROWTH, 0) : new LossScale(scale, clean);
    }
}
