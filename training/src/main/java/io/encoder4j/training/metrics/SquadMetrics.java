package io.encoder4j.training.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Extractive question answering metrics as the official SQuAD v1.1 evaluation script computes them: answers are
 * normalised (lower case, ASCII punctuation removed, the articles a/an/the removed, whitespace collapsed), exact
 * match and token F1 are taken as the maximum over the gold answers, and a dataset's score is the mean over its
 * questions. Scores are fractions in [0, 1] (the script prints them multiplied by 100).
 */
public final class SquadMetrics {

    /** Python's {@code string.punctuation}. */
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    /** {@code re.sub(r'\b(a|an|the)\b', ' ', text)}; Python's {@code \b} on str is Unicode-aware. */
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);
    /** Python's {@code str.split()} separators: Unicode white space and the separators U+001C to U+001F. */
    private static final Pattern WHITESPACE = Pattern.compile("[\\s\\x1c-\\x1f]+", Pattern.UNICODE_CHARACTER_CLASS);

    /** Mean exact match and F1 over a dataset. */
    public record Score(double exactMatch, double f1, int questions) {}

    private SquadMetrics() {}

    /** The script's {@code normalize_answer}. */
    public static String normalize(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        StringBuilder noPunctuation = new StringBuilder(lower.length());
        lower.codePoints().filter(c -> c >= 128 || PUNCTUATION.indexOf(c) < 0).forEach(noPunctuation::appendCodePoint);
        String noArticles = ARTICLES.matcher(noPunctuation).replaceAll(" ");
        return String.join(" ", tokens(noArticles));
    }

    /** 1 if the normalised prediction equals some normalised gold answer, else 0. */
    public static double exactMatch(String prediction, List<String> goldAnswers) {
        String p = normalize(prediction);
        return goldAnswers.stream().anyMatch(g -> normalize(g).equals(p)) ? 1 : 0;
    }

    /** The best token-overlap F1 of the prediction against any gold answer. */
    public static double f1(String prediction, List<String> goldAnswers) {
        double best = 0;
        for (String gold : goldAnswers) {
            best = Math.max(best, f1(prediction, gold));
        }
        return best;
    }

    /** Token F1 of two answers after normalisation (the script's {@code f1_score}). */
    public static double f1(String prediction, String gold) {
        List<String> p = tokens(normalize(prediction));
        List<String> g = tokens(normalize(gold));
        Map<String, Integer> goldCounts = new HashMap<>();
        g.forEach(t -> goldCounts.merge(t, 1, Integer::sum));
        int same = 0;
        for (String t : p) {
            Integer left = goldCounts.get(t);
            if (left != null && left > 0) {
                goldCounts.put(t, left - 1);
                same++;
            }
        }
        if (same == 0) {
            return 0;
        }
        double precision = (double) same / p.size();
        double recall = (double) same / g.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** Mean exact match and F1 of {@code predictions[i]} against {@code goldAnswers[i]}. */
    public static Score score(List<String> predictions, List<List<String>> goldAnswers) {
        if (predictions.size() != goldAnswers.size()) {
            throw new IllegalArgumentException(predictions.size() + " predictions for " + goldAnswers.size()
                    + " questions");
        }
        double em = 0;
        double f1 = 0;
        for (int i = 0; i < predictions.size(); i++) {
            em += exactMatch(predictions.get(i), goldAnswers.get(i));
            f1 += f1(predictions.get(i), goldAnswers.get(i));
        }
        int n = predictions.size();
        return new Score(n == 0 ? 0 : em / n, n == 0 ? 0 : f1 / n, n);
    }

    private static List<String> tokens(CharSequence s) {
        List<String> out = new ArrayList<>(Arrays.asList(WHITESPACE.split(s)));
        out.removeIf(String::isEmpty);
        return out;
    }
}
