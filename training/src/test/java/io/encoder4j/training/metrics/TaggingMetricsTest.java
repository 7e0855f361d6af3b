package io.encoder4j.training.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaggingMetricsTest {

    @Test
    void entitiesFollowTheConllReading() {
        // I-X after O starts an entity; I-Y after B-X starts another; B-X after I-X starts another.
        assertEquals(Set.of(new TaggingMetrics.Entity("PER", 0, 1), new TaggingMetrics.Entity("LOC", 3, 3),
                new TaggingMetrics.Entity("ORG", 4, 4), new TaggingMetrics.Entity("ORG", 5, 6)),
                TaggingMetrics.entities(List.of("B-PER", "I-PER", "O", "I-LOC", "I-ORG", "B-ORG", "I-ORG")));
    }

    @Test
    void handComputedScores() {
        List<List<String>> gold = List.of(List.of("B-PER", "I-PER", "O", "B-LOC"), List.of("B-ORG", "O", "B-MISC"));
        List<List<String>> pred = List.of(List.of("B-PER", "I-PER", "O", "O"), List.of("B-ORG", "B-LOC", "B-PER"));
        // gold: PER(0-1), LOC(3), ORG(0), MISC(2) = 4; predicted: PER(0-1), ORG(0), LOC(1), PER(2) = 4; 2 right.
        // words right: 3 of 4, then 1 of 3 -> 4 / 7.
        Map<String, Double> m = TaggingMetrics.of(gold, pred);
        assertEquals(4.0 / 7, m.get("accuracy"), 1e-12);
        assertEquals(0.5, m.get("precision"), 1e-12);
        assertEquals(0.5, m.get("recall"), 1e-12);
        assertEquals(0.5, m.get("f1"), 1e-12);
        // A half-found entity (wrong end) counts as a miss: P = 0/1, R = 0/1.
        Map<String, Double> partial = TaggingMetrics.of(List.of(List.of("B-PER", "I-PER")),
                List.of(List.of("B-PER", "O")));
        assertEquals(0.0, partial.get("f1"));
        assertEquals(0.5, partial.get("accuracy"));
    }
}
