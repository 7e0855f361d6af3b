package io.encoder4j.training.loop;

/**
 * The best value of the chosen evaluation metric, the step it was reached at, and how many evaluations in a row
 * have not improved on it (for early stopping). Host-side and pure.
 */
final class BestTracker {

    private final Metric metric;
    private final double threshold;
    private final int patience;
    private double best = Double.NaN;
    private long bestStep = -1;
    private int withoutImprovement;

    BestTracker(Metric metric, double threshold, int patience) {
        this.metric = metric;
        this.threshold = threshold;
        this.patience = patience;
    }

    /** Records an evaluation; true when it is a new best. */
    boolean update(long step, double value) {
        if (metric.improves(value, best, threshold)) {
            best = value;
            bestStep = step;
            withoutImprovement = 0;
            return true;
        }
        withoutImprovement++;
        return false;
    }

    /** Whether early stopping is on and its patience has run out. */
    boolean shouldStop() {
        return patience > 0 && withoutImprovement >= patience;
    }

    void restore(Double value, Long step, Integer without) {
        best = value == null ? Double.NaN : value;
        bestStep = step == null ? -1 : step;
        withoutImprovement = without == null ? 0 : without;
    }

    Metric metric() {
        return metric;
    }

    double best() {
        return best;
    }

    long bestStep() {
        return bestStep;
    }

    int withoutImprovement() {
        return withoutImprovement;
    }

    int patience() {
        return patience;
    }
}
