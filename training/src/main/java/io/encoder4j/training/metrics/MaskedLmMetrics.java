package io.encoder4j.training.metrics;

/**
 * Masked-language-model metrics over the predicted (masked) tokens of an evaluation: the mean cross-entropy in nats,
 * the accuracy of the arg-max prediction, and the perplexity {@code exp(loss)}. Built from per-batch sums, so the
 * result is the mean over tokens, not over batches.
 *
 * @param lossSum sum over predicted tokens of {@code -log p(label)}
 * @param correct predicted tokens whose arg-max is the label
 * @param tokens predicted tokens
 */
public record MaskedLmMetrics(double lossSum, long correct, long tokens) {

    public static final MaskedLmMetrics EMPTY = new MaskedLmMetrics(0, 0, 0);

    /** Adds one batch: its mean loss over {@code tokens} predictions and how many of them were right. */
    public MaskedLmMetrics plus(double meanLoss, long batchCorrect, long batchTokens) {
        return new MaskedLmMetrics(lossSum + meanLoss * batchTokens, correct + batchCorrect, tokens + batchTokens);
    }

    public double loss() {
        return lossSum / tokens;
    }

    public double accuracy() {
        return (double) correct / tokens;
    }

    public double perplexity() {
        return Math.exp(loss());
    }

    /** Cross-entropy of one prediction, {@code logsumexp(logits) - logits[label]}, in float64: the reference. */
    public static double crossEntropy(double[] logits, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (double l : logits) {
            sum += Math.exp(l - max);
        }
        return max + Math.log(sum) - logits[label];
    }
}
