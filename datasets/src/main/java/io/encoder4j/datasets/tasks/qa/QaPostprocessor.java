package io.encoder4j.datasets.tasks.qa;

import java.util.ArrayList;
import java.util.List;

/**
 * Maps per-window start/end logits back to answer text, as Hugging Face's {@code postprocess_qa_predictions}
 * (examples/pytorch/question-answering/utils_qa.py): in every window of a question, the {@code nBest} highest start
 * and end positions are paired; pairs outside the context, with the end before the start, or longer than
 * {@code maxAnswerLength} tokens are dropped; the pair with the highest start + end logit over all windows wins, and its
 * text is the context between its first token's first character and its last token's last character. With
 * {@code allowNoAnswer} (SQuAD v2.0) the answer is empty when the best null score, {@code start[0] + end[0]} (the
 * minimum over windows, as there), exceeds the best span's score by more than {@code nullThreshold}.
 *
 * @param nBest candidate start and end positions per window (20 in run_qa)
 * @param maxAnswerLength longest answer in tokens (30 in run_qa)
 * @param allowNoAnswer whether the empty answer may be predicted (v2.0)
 * @param nullThreshold margin the null score must exceed the best span's score by (0 in run_qa)
 */
public record QaPostprocessor(int nBest, int maxAnswerLength, boolean allowNoAnswer, double nullThreshold) {

    public QaPostprocessor {
        if (nBest <= 0 || maxAnswerLength <= 0) {
            throw new IllegalArgumentException("n_best and max_answer_length must be positive");
        }
    }

    /** run_qa's settings: 20 candidates, answers up to 30 tokens, threshold 0. */
    public static QaPostprocessor defaults(boolean allowNoAnswer) {
        return new QaPostprocessor(20, 30, allowNoAnswer, 0.0);
    }

    /**
     * One prediction per example of {@code features}, in example order.
     *
     * @param startLogits start logits per feature, indexed as {@code features.features()}; each row at least as long as
     *     its feature (a padded row's tail is ignored)
     * @param endLogits end logits, likewise
     */
    public List<QaPrediction> predict(QaFeatures features, float[][] startLogits, float[][] endLogits) {
        if (startLogits.length != features.size() || endLogits.length != features.size()) {
            throw new IllegalArgumentException("logits for " + startLogits.length + "/" + endLogits.length
                    + " features, expected " + features.size());
        }
        List<SquadExample> examples = features.examples();
        List<List<Integer>> byExample = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            byExample.add(new ArrayList<>(2));
        }
        for (int f = 0; f < features.size(); f++) {
            byExample.get(features.feature(f).example()).add(f);
        }
        List<QaPrediction> predictions = new ArrayList<>(examples.size());
        for (int e = 0; e < examples.size(); e++) {
            predictions.add(predictExample(examples.get(e), features, byExample.get(e), startLogits, endLogits));
        }
        return predictions;
    }

    private QaPrediction predictExample(SquadExample example, QaFeatures features, List<Integer> featureIndices,
            float[][] startLogits, float[][] endLogits) {
        double bestScore = Double.NEGATIVE_INFINITY;
        int bestStart = -1;
        int bestEnd = -1;
        double nullScore = Double.POSITIVE_INFINITY;
        for (int f : featureIndices) {
            QaFeature feature = features.feature(f);
            float[] s = startLogits[f];
            float[] t = endLogits[f];
            int n = feature.inputIds().length;
            if (s.length < n || t.length < n) {
                throw new IllegalArgumentException("feature " + f + " has " + n + " tokens but " + s.length + "/"
                        + t.length + " logits");
            }
            nullScore = Math.min(nullScore, (double) s[0] + t[0]);
            int[] starts = top(s, n, nBest);
            int[] ends = top(t, n, nBest);
            for (int i : starts) {
                if (!feature.isContext(i) || feature.charStart(i) == feature.charEnd(i)) {
                    continue;
                }
                for (int j : ends) {
                    if (!feature.isContext(j) || j < i || j - i + 1 > maxAnswerLength
                            || feature.charStart(j) == feature.charEnd(j)) {
                        continue;
                    }
                    double score = (double) s[i] + t[j];
                    if (score > bestScore) {
                        bestScore = score;
                        bestStart = feature.charStart(i);
                        bestEnd = feature.charEnd(j);
                    }
                }
            }
        }
        if (bestStart < 0 || (allowNoAnswer && nullScore > bestScore + nullThreshold)) {
            return new QaPrediction(example.id(), "", -1, allowNoAnswer ? nullScore : bestScore);
        }
        return new QaPrediction(example.id(), example.context().substring(bestStart, bestEnd), bestStart, bestScore);
    }

    /** Positions of the {@code k} largest of {@code x[0..n)}, largest first (ties: lower position first). */
    static int[] top(float[] x, int n, int k) {
        k = Math.min(k, n);
        int[] best = new int[k];
        int size = 0;
        for (int i = 0; i < n; i++) {
            if (size < k) {
                int j = size++;
                while (j > 0 && x[best[j - 1]] < x[i]) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = i;
            } else if (x[i] > x[best[k - 1]]) {
                int j = k - 1;
                while (j > 0 && x[best[j - 1]] < x[i]) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = i;
            }
        }
        return best;
    }
}
