package io.encoder4j.datasets.tasks.qa;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Splits SQuAD questions into training and validation by article, so no paragraph (and no article) is seen in both:
 * questions about one paragraph share most of their evidence, and a split by question would leak it.
 *
 * @param train the questions of the training articles, in file order
 * @param validation the questions of the held-out articles, in file order
 */
public record SquadSplit(List<SquadExample> train, List<SquadExample> validation) {

    /**
     * Holds out a seeded random {@code validationFraction} of the articles (at least one, and at least one left for
     * training).
     */
    public static SquadSplit byArticle(List<SquadExample> examples, double validationFraction, long seed) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation_fraction must be in (0, 1), got " + validationFraction);
        }
        Map<String, Integer> articleIndex = new LinkedHashMap<>();
        for (SquadExample e : examples) {
            articleIndex.putIfAbsent(e.title(), articleIndex.size());
        }
        int articles = articleIndex.size();
        if (articles < 2) {
            throw new IllegalArgumentException("cannot split " + articles + " article(s) by article");
        }
        int held = (int) Math.max(1, Math.min(articles - 1, Math.round(articles * validationFraction)));
        int[] order = new int[articles];
        for (int i = 0; i < articles; i++) {
            order[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = articles - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] heldOut = new boolean[articles];
        for (int i = 0; i < held; i++) {
            heldOut[order[i]] = true;
        }
        List<SquadExample> train = new ArrayList<>();
        List<SquadExample> validation = new ArrayList<>();
        for (SquadExample e : examples) {
            (heldOut[articleIndex.get(e.title())] ? validation : train).add(e);
        }
        return new SquadSplit(List.copyOf(train), List.copyOf(validation));
    }
}
