package io.encoder4j.training.loop;

/**
 * An evaluation metric a {@link TrainingTask} reports, and which way is better: what best-checkpoint tracking and
 * early stopping compare.
 */
public record Metric(String name, boolean higherIsBetter) {

    public static Metric lowerIsBetter(String name) {
        return new Metric(name, false);
    }

    public static Metric higherIsBetter(String name) {
        return new Metric(name, true);
    }

    /** Whether {@code candidate} improves on {@code best} by more than {@code threshold}. */
    public boolean improves(double candidate, double best, double threshold) {
        if (Double.isNaN(candidate)) {
            return false;
        }
        if (Double.isNaN(best)) {
            return true;
        }
        return higherIsBetter ? candidate > best + threshold : candidate < best - threshold;
    }
}
