package io.encoder4j.training.metrics;

/**
 * Metrics of single-label classification from gold and predicted class indices (0-based). Pure functions; they
 * follow scikit-learn's definitions so that numbers can be checked against it.
 */
public final class ClassificationMetrics {

    private ClassificationMetrics() {}

    /** Fraction of examples whose prediction equals the gold label. */
    public static double accuracy(int[] gold, int[] predicted) {
        check(gold, predicted);
        long correct = 0;
        for (int i = 0; i < gold.length; i++) {
            correct += gold[i] == predicted[i] ? 1 : 0;
        }
        return (double) correct / gold.length;
    }

    /**
     * Unweighted mean of the per-class F1 over the classes that occur in the gold labels or the predictions
     * (scikit-learn's {@code f1_score(average="macro")}); a class with no predictions or no gold examples has
     * precision or recall 0, and F1 0 when both are 0.
     */
    public static double macroF1(int[] gold, int[] predicted) {
        long[][] c = confusion(gold, predicted);
        int k = c.length;
        double sum = 0;
        int classes = 0;
        for (int j = 0; j < k; j++) {
            long tp = c[j][j];
            long goldCount = 0;
            long predictedCount = 0;
            for (int i = 0; i < k; i++) {
                goldCount += c[j][i];
                predictedCount += c[i][j];
            }
            if (goldCount == 0 && predictedCount == 0) {
                continue;
            }
            classes++;
            double precision = predictedCount == 0 ? 0 : (double) tp / predictedCount;
            double recall = goldCount == 0 ? 0 : (double) tp / goldCount;
            sum += precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        }
        return sum / classes;
    }

    /**
     * Matthews correlation coefficient, in its multi-class form (Gorodkin 2004, "Comparing two K-category
     * assignments by a K-category correlation coefficient"; scikit-learn's {@code matthews_corrcoef}):
     * {@code (c s - sum_k p_k t_k) / sqrt((s^2 - sum_k p_k^2)(s^2 - sum_k t_k^2))} with c correct predictions, s
     * examples, t_k gold and p_k predicted counts of class k. 0 when a denominator factor is 0 (one class only).
     */
    public static double matthewsCorrelation(int[] gold, int[] predicted) {
        long[][] c = confusion(gold, predicted);
        int k = c.length;
        double s = gold.length;
        double correct = 0;
        double pt = 0;
        double pp = 0;
        double tt = 0;
        for (int j = 0; j < k; j++) {
            correct += c[j][j];
            double t = 0;
            double p = 0;
            for (int i = 0; i < k; i++) {
                t += c[j][i];
                p += c[i][j];
            }
            pt += p * t;
            pp += p * p;
            tt += t * t;
        }
        double denominator = (s * s - pp) * (s * s - tt);
        return denominator == 0 ? 0 : (correct * s - pt) / Math.sqrt(denominator);
    }

    /** {@code c[g][p]}: examples of gold class g predicted as p, over classes 0 .. max label. */
    public static long[][] confusion(int[] gold, int[] predicted) {
        check(gold, predicted);
        int k = 0;
        for (int i = 0; i < gold.length; i++) {
            if (gold[i] < 0 || predicted[i] < 0) {
                throw new IllegalArgumentException("class indices must be >= 0, got gold " + gold[i] + ", predicted "
                        + predicted[i] + " at example " + i);
            }
            k = Math.max(k, Math.max(gold[i], predicted[i]) + 1);
        }
        long[][] c = new long[k][k];
        for (int i = 0; i < gold.length; i++) {
            c[gold[i]][predicted[i]]++;
        }
        return c;
    }

    private static void check(int[] gold, int[] predicted) {
        if (gold.length != predicted.length) {
            throw new IllegalArgumentException(gold.length + " gold labels but " + predicted.length + " predictions");
        }
        if (gold.length == 0) {
            throw new IllegalArgumentException("no examples");
        }
    }
}
