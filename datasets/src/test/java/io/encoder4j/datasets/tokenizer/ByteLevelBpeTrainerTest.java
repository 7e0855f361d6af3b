package io.encoder4j.datasets.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelBpeTrainerTest {

    private static final int FIRST_MERGED_ID = 5 + 256;

    @Test
    void idsAreSpecialsThenBytesThenMerges() {
        ByteLevelBpe bpe = ByteLevelBpeTrainer.train(List.of("aaab aab ab"), BpeTrainingSettings.roberta(1000, 1));
        assertEquals(List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>"), bpe.vocab().subList(0, 5));
        assertEquals(ByteLevelPreTokenizer.alphabet(), bpe.vocab().subList(5, FIRST_MERGED_ID));
        assertEquals("aa", bpe.vocab().get(FIRST_MERGED_ID));
    }

    @Test
    void mergesMostFrequentPairBreakingTiesBySmallestIds() {
        // Words "aaab", "Ġaab", "Ġab": (a,a) and (a,b) both occur 3 times and id(a) < id(b).
        // Then (a,b) has 2; after it every pair occurs once, and (Ġ, aa) wins: the byte symbol Ġ has a
        // smaller id than the merged token aa.
        List<String> documents = List.of("aaab aab ab");
        ByteLevelBpe frequent = ByteLevelBpeTrainer.train(documents, BpeTrainingSettings.roberta(1000, 2));
        assertEquals(List.of(merge("a", "a"), merge("a", "b")), frequent.merges());

        ByteLevelBpe capped = ByteLevelBpeTrainer.train(documents, BpeTrainingSettings.roberta(FIRST_MERGED_ID + 3, 1));
        assertEquals(List.of(merge("a", "a"), merge("a", "b"), merge("Ġ", "aa")), capped.merges());
        assertEquals(FIRST_MERGED_ID + 3, capped.vocab().size());
    }

    @Test
    void incrementalCountsMatchNaiveRecounting() {
        List<String> documents = TestCorpus.lines(0, 40_000);
        BpeTrainingSettings settings = BpeTrainingSettings.roberta(700, 2);
        ByteLevelBpe fast = ByteLevelBpeTrainer.train(documents, settings);
        NaiveResult naive = naiveTrain(ByteLevelBpeTrainer.countWords(documents), settings);
        assertEquals(naive.merges(), fast.merges());
        assertEquals(naive.vocab(), fast.vocab());
    }

    @Test
    void stopsWhenNoPairIsFrequentEnough() {
        // Words "abc", "Ġabd", "Ġxyz": only (a,b) occurs twice.
        ByteLevelBpe bpe = ByteLevelBpeTrainer.train(List.of("abc abd xyz"), BpeTrainingSettings.roberta(1000, 2));
        assertEquals(List.of(merge("a", "b")), bpe.merges());
        assertEquals(FIRST_MERGED_ID + 1, bpe.vocab().size());
    }

    @Test
    void trainingIsDeterministic() {
        List<String> documents = TestCorpus.lines(0, 300_000);
        ByteLevelBpe first = ByteLevelBpeTrainer.train(documents, BpeTrainingSettings.roberta(2000, 2));
        ByteLevelBpe second = ByteLevelBpeTrainer.train(documents, BpeTrainingSettings.roberta(2000, 2));
        assertEquals(2000, first.vocab().size());
        assertEquals(first.vocab(), second.vocab());
        assertEquals(first.merges(), second.merges());
        // Every learned token comes from a merge; a token spelled by two merges is kept once.
        assertTrue(first.merges().size() >= 2000 - FIRST_MERGED_ID);
    }

    private static ByteLevelBpe.Merge merge(String left, String right) {
        return new ByteLevelBpe.Merge(left, right);
    }

    private record NaiveResult(List<String> vocab, List<ByteLevelBpe.Merge> merges) {}

    /** Textbook BPE: recount every pair of every word before each merge. */
    private static NaiveResult naiveTrain(Map<String, Integer> wordCounts, BpeTrainingSettings settings) {
        Set<String> vocab = new LinkedHashSet<>(settings.specialTokens());
        vocab.addAll(ByteLevelPreTokenizer.alphabet());
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        wordCounts.forEach(
                (word, count) -> {
                    List<String> symbols = new ArrayList<>();
                    word.chars().forEach(c -> symbols.add(String.valueOf((char) c)));
                    words.add(symbols);
                    counts.add(count);
                });
        List<ByteLevelBpe.Merge> merges = new ArrayList<>();
        while (vocab.size() < settings.vocabSize()) {
            Map<ByteLevelBpe.Merge, Integer> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> symbols = words.get(w);
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    pairCounts.merge(merge(symbols.get(i), symbols.get(i + 1)), counts.get(w), Integer::sum);
                }
            }
            Map<String, Integer> ids = new HashMap<>();
            for (String token : vocab) {
                ids.put(token, ids.size());
            }
            Comparator<Map.Entry<ByteLevelBpe.Merge, Integer>> byCountThenPair =
                    Map.Entry.<ByteLevelBpe.Merge, Integer>comparingByValue()
                            .reversed()
                            .thenComparingInt(e -> ids.get(e.getKey().left()))
                            .thenComparingInt(e -> ids.get(e.getKey().right()));
            Map.Entry<ByteLevelBpe.Merge, Integer> top =
                    pairCounts.entrySet().stream().min(byCountThenPair).orElse(null);
            if (top == null || top.getValue() < settings.minFrequency()) {
                break;
            }
            ByteLevelBpe.Merge best = top.getKey();
            merges.add(best);
            vocab.add(best.result());
            for (List<String> symbols : words) {
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    if (symbols.get(i).equals(best.left()) && symbols.get(i + 1).equals(best.right())) {
                        symbols.set(i, best.result());
                        symbols.remove(i + 1);
                    }
                }
            }
        }
        return new NaiveResult(List.copyOf(vocab), merges);
    }
}
