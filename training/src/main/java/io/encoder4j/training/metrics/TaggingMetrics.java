package io.encoder4j.training.metrics;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Metrics of token classification over words: token accuracy, and entity-level micro precision, recall and F1 with
 * seqeval's default (CoNLL {@code conlleval}) reading of BIO tags: an entity starts at {@code B-X}, or at {@code I-X}
 * after {@code O} or after a tag of another type, and runs over the following {@code I-X}; an entity counts as found
 * only when its type, start and end all match. Tags without a prefix ({@code PER}) read as {@code I-PER}.
 */
public final class TaggingMetrics {

    private TaggingMetrics() {}

    /** An entity: its type and its first and last word (inclusive) in the sentence. */
    public record Entity(String type, int start, int end) {}

    /** The entities of one sentence's tags. */
    public static Set<Entity> entities(List<String> tags) {
        Set<Entity> out = new HashSet<>();
        String type = null;
        int start = -1;
        for (int i = 0; i <= tags.size(); i++) {
            String tag = i < tags.size() ? tags.get(i) : "O";
            String prefix = tag.equals("O") ? "O" : tag.length() > 1 && tag.charAt(1) == '-'
                    ? tag.substring(0, 1) : "I";
            String t = tag.equals("O") ? null : tag.length() > 1 && tag.charAt(1) == '-' ? tag.substring(2) : tag;
            boolean continues = type != null && prefix.equals("I") && type.equals(t);
            if (type != null && !continues) {
                out.add(new Entity(type, start, i - 1));
                type = null;
            }
            if (t != null && !continues) {
                type = t;
                start = i;
            }
        }
        return out;
    }

    /**
     * {@code accuracy} (words tagged right / words), {@code precision}, {@code recall}, {@code f1} (entity-level,
     * micro-averaged; 0 when undefined), and the counts {@code words}, {@code gold_entities},
     * {@code predicted_entities}.
     */
    public static Map<String, Double> of(List<List<String>> gold, List<List<String>> predicted) {
        if (gold.size() != predicted.size()) {
            throw new IllegalArgumentException(gold.size() + " gold sentences but " + predicted.size()
                    + " predicted");
        }
        long words = 0;
        long right = 0;
        long goldCount = 0;
        long predCount = 0;
        long found = 0;
        for (int s = 0; s < gold.size(); s++) {
            List<String> g = gold.get(s);
            List<String> p = predicted.get(s);
            if (g.size() != p.size()) {
                throw new IllegalArgumentException("sentence " + s + ": " + g.size() + " gold tags but " + p.size()
                        + " predicted");
            }
            for (int i = 0; i < g.size(); i++) {
                words++;
                right += g.get(i).equals(p.get(i)) ? 1 : 0;
            }
            Set<Entity> ge = entities(g);
            Set<Entity> pe = entities(p);
            goldCount += ge.size();
            predCount += pe.size();
            for (Entity e : pe) {
                found += ge.contains(e) ? 1 : 0;
            }
        }
        double precision = predCount == 0 ? 0 : (double) found / predCount;
        double recall = goldCount == 0 ? 0 : (double) found / goldCount;
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("accuracy", words == 0 ? 0 : (double) right / words);
        out.put("precision", precision);
        out.put("recall", recall);
        out.put("f1", precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
        out.put("words", (double) words);
        out.put("gold_entities", (double) goldCount);
        out.put("predicted_entities", (double) predCount);
        return out;
    }
}
