package io.encoder4j.datasets.tasks.qa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.tasks.TaskTesting;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SquadFeaturesTest {

    private static final Path SQUAD = TaskTesting.shared("qa/squad-v1.1-dev-minus-xquad.json");
    private static TextTokenizer tokenizer;
    private static List<SquadExample> examples;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        tokenizer = TaskTesting.tokenizer();
        examples = SquadReader.read(SQUAD);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /**
     * Byte-level BPE's pre-tokeniser never puts a letter run, a digit run and a punctuation run in one token, so a
     * token boundary can be missing only between two characters of the same class.
     */
    private static boolean insidePreToken(String s, int i) {
        if (i <= 0 || i >= s.length()) {
            return false;
        }
        int a = charClass(s.charAt(i - 1));
        return a != 0 && a == charClass(s.charAt(i));
    }

    private static int charClass(char c) {
        if (Character.isWhitespace(c)) {
            return 0;
        }
        return Character.isLetter(c) ? 1 : Character.isDigit(c) ? 2 : 3;
    }

    @Test
    void everyAnswerMapsBackToItsTextThroughTheWindowThatHoldsIt() {
        assertEquals(9380, examples.size());
        // Short windows so that most contexts are split: 192 tokens, 64 shared between neighbours.
        QaWindowing windowing = new QaWindowing(192, 64, 64);
        QaFeatures features = QaFeatures.build(examples, tokenizer, windowing);
        assertTrue(features.size() > 1.5 * examples.size(), features.size() + " windows");

        float[][] start = new float[features.size()][];
        float[][] end = new float[features.size()][];
        int[] windowsWithAnswer = new int[examples.size()];
        String[] mapped = new String[examples.size()];
        for (int f = 0; f < features.size(); f++) {
            QaFeature feature = features.feature(f);
            int n = feature.inputIds().length;
            assertTrue(n <= 192);
            assertEquals(tokenizer.bosId(), feature.inputIds()[0]);
            assertEquals(tokenizer.eosId(), feature.inputIds()[n - 1]);
            assertEquals(n - 1 - feature.contextStart(), feature.contextLength());
            start[f] = new float[n + 3]; // padded rows: the tail must be ignored
            end[f] = new float[n + 3];
            if (feature.hasAnswer()) {
                assertTrue(feature.isContext(feature.startPosition()) && feature.isContext(feature.endPosition()));
                SquadExample e = examples.get(feature.example());
                String text = e.context().substring(feature.charStart(feature.startPosition()),
                        feature.charEnd(feature.endPosition()));
                if (mapped[feature.example()] != null) {
                    assertEquals(mapped[feature.example()], text, "every window maps the answer to the same text");
                }
                mapped[feature.example()] = text;
                windowsWithAnswer[feature.example()]++;
                start[f][feature.startPosition()] = 10;
                end[f][feature.endPosition()] = 10;
            }
        }

        int unaligned = 0;
        int uncovered = 0;
        for (int i = 0; i < examples.size(); i++) {
            SquadExample e = examples.get(i);
            SquadAnswer answer = e.answers().get(0);
            String expected = e.context().substring(answer.start(), answer.end());
            assertEquals(answer.text(), expected);
            if (windowsWithAnswer[i] == 0) {
                // No window holds the whole answer: only possible when it is longer than the overlap.
                int answerTokens = tokenizer.encode(answer.text()).length;
                assertTrue(answerTokens > windowing.docStride(), e.id() + ": " + answerTokens + " tokens");
                uncovered++;
                continue;
            }
            if (!mapped[i].equals(expected)) {
                // The answer starts or ends inside a token (SQuAD's "first occurrence" offsets such as "Israel" in
                // "Israelis"): the span maps to the smallest run of whole tokens around it.
                int at = mapped[i].indexOf(expected);
                assertTrue(at >= 0, e.id() + ": '" + mapped[i] + "' does not contain '" + expected + "'");
                assertTrue(insidePreToken(e.context(), answer.start()) || insidePreToken(e.context(), answer.end()),
                        e.id() + ": '" + expected + "' mapped to '" + mapped[i] + "' at token boundaries");
                unaligned++;
            }
        }
        System.out.printf("SQuAD: %d questions, %d windows, %d answers inside a token, %d longer than any window%n",
                examples.size(), features.size(), unaligned, uncovered);
        // Only the answers whose edge falls inside a word (66 of the 9380 in this file) can miss a token boundary.
        assertTrue(unaligned <= 66, unaligned + " unaligned");

        // Inverse: one-hot logits at the labels give back the same text through the post-processor.
        List<QaPrediction> predictions = new QaPostprocessor(20, 1000, false, 0).predict(features, start, end);
        for (int i = 0; i < examples.size(); i++) {
            if (mapped[i] != null) {
                assertEquals(mapped[i], predictions.get(i).text(), examples.get(i).id());
                assertEquals(examples.get(i).id(), predictions.get(i).id());
            }
        }
    }

    @Test
    void windowsOverlapByTheStrideAndCoverTheContext() {
        QaWindowing windowing = new QaWindowing(96, 24, 64);
        List<SquadExample> some = examples.subList(0, 300);
        QaFeatures features = QaFeatures.build(some, tokenizer, windowing);
        int f = 0;
        for (int i = 0; i < some.size(); i++) {
            int[] ids = tokenizer.encode(some.get(i).context());
            List<QaFeature> windows = new ArrayList<>();
            while (f < features.size() && features.feature(f).example() == i) {
                windows.add(features.feature(f++));
            }
            int q = Math.min(tokenizer.encode(some.get(i).question()).length, 64);
            int window = 96 - q - 4;
            int from = 0;
            for (int w = 0; w < windows.size(); w++) {
                QaFeature feature = windows.get(w);
                int n = feature.contextLength();
                assertEquals(Math.min(window, ids.length - from), n);
                assertTrue(Arrays.equals(Arrays.copyOfRange(ids, from, from + n), Arrays.copyOfRange(
                        feature.inputIds(), feature.contextStart(), feature.contextStart() + n)));
                if (w + 1 < windows.size()) {
                    from += window - 24;
                } else {
                    assertEquals(ids.length, from + n, "the last window reaches the end of the context");
                }
            }
        }
        assertEquals(features.size(), f);
        QaBatch batch = features.batch(new long[] {0, 1, 2});
        assertEquals(3, batch.batchSize());
        assertEquals(3, batch.startPositions().length);
    }

    @Test
    void unanswerableV2QuestionsPointAtTheStartTokenAndPredictNoAnswer() throws Exception {
        String context = "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy.";
        String json = "{\"version\": \"v2.0\", \"data\": [{\"title\": \"Normans\", \"paragraphs\": [{\"context\": "
                + "\"" + context + "\", \"qas\": ["
                + "{\"id\": \"a\", \"question\": \"What gave its name to Normandy?\", \"is_impossible\": false, "
                + "\"answers\": [{\"text\": \"The Normans\", \"answer_start\": 0}]},\n"
                + "{\"id\": \"b\", \"question\": \"Who gave their name to Italy?\", \"is_impossible\": true, "
                + "\"answers\": [], \"plausible_answers\": [{\"text\": \"Normans\", \"answer_start\": 4}]}]}]}]}";
        Path file = Files.writeString(dir.resolve("v2.json"), json);
        List<SquadExample> v2 = SquadReader.read(file);
        assertFalse(v2.get(0).impossible());
        assertTrue(v2.get(1).impossible());
        assertTrue(v2.get(1).answers().isEmpty());
        QaFeatures features = QaFeatures.build(v2, tokenizer, QaWindowing.defaults());
        assertEquals(2, features.size());
        QaFeature answerable = features.feature(0);
        QaFeature impossible = features.feature(1);
        assertTrue(answerable.hasAnswer());
        assertEquals("The Normans", context.substring(answerable.charStart(answerable.startPosition()),
                answerable.charEnd(answerable.endPosition())));
        assertEquals(0, impossible.startPosition());
        assertEquals(0, impossible.endPosition());

        // Logits preferring <s> for b, a span for a: the null answer only wins where it scores higher.
        float[][] s = {new float[answerable.inputIds().length], new float[impossible.inputIds().length]};
        float[][] e = {new float[answerable.inputIds().length], new float[impossible.inputIds().length]};
        s[0][answerable.startPosition()] = 5;
        e[0][answerable.endPosition()] = 5;
        s[1][0] = 5;
        e[1][0] = 5;
        s[1][impossible.contextStart() + 1] = 3;
        e[1][impossible.contextStart() + 1] = 3;
        List<QaPrediction> p = QaPostprocessor.defaults(true).predict(features, s, e);
        assertEquals("The Normans", p.get(0).text());
        assertEquals("", p.get(1).text());
        assertEquals(-1, p.get(1).start());
        // v1.1 post-processing never answers "nothing".
        assertNotEquals("", QaPostprocessor.defaults(false).predict(features, s, e).get(1).text());
    }

    @Test
    void anAnswerNotAtItsOffsetIsReportedWithLineAndQuestion() throws Exception {
        String json = "{\"version\": \"1.1\", \"data\": [{\"title\": \"T\", \"paragraphs\": [\n"
                + "{\"context\": \"Paris is the capital of France.\", \"qas\": [\n"
                + "{\"id\": \"ok\", \"question\": \"Capital?\", \"answers\": [{\"text\": \"Paris\", \"answer_start\": 0}]},\n"
                + "  {\"id\": \"bad\", \"question\": \"Country?\", \"answers\": [{\"text\": \"France\", "
                + "\"answer_start\": 3}]}]}]}]}";
        Path file = Files.writeString(dir.resolve("bad.json"), json);
        ConfigException e = assertThrows(ConfigException.class, () -> SquadReader.read(file));
        assertTrue(e.getMessage().startsWith(file + ": line 4: column 3: question bad: answer 'France' is not at "
                + "answer_start 3 (the context there reads 'is is '"), e.getMessage());
        var skipping = new io.encoder4j.datasets.input.BadRows(true);
        assertEquals(1, SquadReader.read(file, skipping).size());
        assertEquals(1, skipping.skipped());

        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"data\": [{\"title\": \"T\",\n \"paragraphs\": [}");
        ConfigException m = assertThrows(ConfigException.class, () -> SquadReader.read(broken));
        assertTrue(m.getMessage().startsWith(broken + ": line 2, column"), m.getMessage());
    }

    @Test
    void splitsByArticleReproduciblyWithoutSharingAnArticle() {
        SquadSplit a = SquadSplit.byArticle(examples, 0.1, 3);
        SquadSplit b = SquadSplit.byArticle(examples, 0.1, 3);
        assertEquals(a, b);
        assertEquals(examples.size(), a.train().size() + a.validation().size());
        Set<String> trainTitles = new HashSet<>();
        a.train().forEach(e -> trainTitles.add(e.title()));
        Set<String> validationTitles = new HashSet<>();
        a.validation().forEach(e -> validationTitles.add(e.title()));
        assertEquals(5, validationTitles.size(), "10% of 48 articles");
        validationTitles.forEach(t -> assertFalse(trainTitles.contains(t), t));
        assertNotEquals(validationTitles, titles(SquadSplit.byArticle(examples, 0.1, 4).validation()));
    }

    private static Set<String> titles(List<SquadExample> list) {
        Set<String> s = new HashSet<>();
        list.forEach(e -> s.add(e.title()));
        return s;
    }

    @Test
    void topKMatchesSorting() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rng.nextInt(60);
            float[] x = new float[n + 5];
            for (int i = 0; i < x.length; i++) {
                x[i] = rng.nextInt(10);
            }
            int k = 1 + rng.nextInt(25);
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (p, q) -> x[p] != x[q] ? Float.compare(x[q], x[p]) : Integer.compare(p, q));
            int[] top = QaPostprocessor.top(x, n, k);
            for (int i = 0; i < top.length; i++) {
                assertEquals(x[order[i]], x[top[i]], 0f);
            }
            assertEquals(Math.min(k, n), top.length);
        }
    }
}
