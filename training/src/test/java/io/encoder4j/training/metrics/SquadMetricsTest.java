package io.encoder4j.training.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Cases checked by hand against the official SQuAD v1.1 {@code evaluate-v1.1.py} functions. */
class SquadMetricsTest {

    @Test
    void normalisationFollowsTheOfficialScript() {
        assertEquals("quick brown fox", SquadMetrics.normalize("The  Quick, brown fox!"));
        assertEquals("apple day", SquadMetrics.normalize("an apple a day"));
        // Articles only as whole words; punctuation goes first, so "the-end" becomes one word.
        assertEquals("theater", SquadMetrics.normalize("theater"));
        assertEquals("theend", SquadMetrics.normalize("the-end"));
        assertEquals("ab", SquadMetrics.normalize("A.B."));
        assertEquals("lan café", SquadMetrics.normalize("l'an the café"));
        // Unicode white space (a no-break space here) separates words as Python's str.split() does.
        assertEquals("ünïcode end", SquadMetrics.normalize("Ünïcode\u00a0THE\tend"));
    }

    @Test
    void exactMatchIsTheMaximumOverGoldAnswers() {
        assertEquals(1.0, SquadMetrics.exactMatch("the Eiffel Tower", List.of("Paris", "Eiffel Tower")));
        assertEquals(0.0, SquadMetrics.exactMatch("Eiffel", List.of("Paris", "Eiffel Tower")));
    }

    @Test
    void f1CountsOverlappingTokensWithMultiplicity() {
        // prediction tokens (in, eiffel, tower, in, paris), gold (eiffel, tower): P = 2/5, R = 1, F1 = 4/7.
        assertEquals(4.0 / 7, SquadMetrics.f1("in the Eiffel Tower in Paris", "Eiffel Tower"), 1e-15);
        // Against "Paris": P = 1/5, R = 1, F1 = 1/3; the maximum over both gold answers is 4/7.
        assertEquals(1.0 / 3, SquadMetrics.f1("in the Eiffel Tower in Paris", "Paris"), 1e-15);
        assertEquals(4.0 / 7, SquadMetrics.f1("in the Eiffel Tower in Paris", List.of("Paris", "Eiffel Tower")),
                1e-15);
        // (x, y, y) against (y, y, z): two shared tokens, P = R = 2/3.
        assertEquals(2.0 / 3, SquadMetrics.f1("x y y", "y y z"), 1e-15);
        // v1.1 quirk kept: two answers that normalise to nothing match exactly but have F1 0.
        assertEquals(1.0, SquadMetrics.exactMatch("the", List.of("a")));
        assertEquals(0.0, SquadMetrics.f1("the", "a"));
    }

    @Test
    void datasetScoreIsTheMeanOverQuestions() {
        SquadMetrics.Score s = SquadMetrics.score(List.of("Eiffel Tower", "x y y", "nothing"),
                List.of(List.of("the Eiffel Tower"), List.of("y y z"), List.of("something")));
        assertEquals(1.0 / 3, s.exactMatch(), 1e-15);
        assertEquals((1 + 2.0 / 3 + 0) / 3, s.f1(), 1e-15);
        assertEquals(3, s.questions());
    }
}
