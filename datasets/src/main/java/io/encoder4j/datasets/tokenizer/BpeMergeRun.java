package io.encoder4j.datasets.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * The merge loop of a BPE trainer, shared by {@link ByteLevelBpeTrainer} and {@link WordPieceTrainer} (Hugging Face's
 * WordPiece trainer is its BPE trainer with a {@code ##} continuation prefix). Merging is incremental, as in Hugging
 * Face tokenizers' trainer: pair counts are kept up to date from the words each merge touches (found through an index
 * from pair to words), and the next pair comes from a priority queue whose stale entries are re-queued with their
 * current count when they surface. Ties in count go to the pair with the smallest ids (left symbol, then right).
 */
final class BpeMergeRun {

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

    /** The result: every token in id order and the merges in rank order. */
    record Result(List<String> tokens, List<ByteLevelBpe.Merge> merges) {}

    private final int vocabSize;
    private final int minFrequency;
    private final BinaryOperator<String> join;
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

    /**
     * @param initialTokens the vocabulary before any merge (special tokens, alphabet), ids in this order
     * @param words each distinct word as ids of {@code initialTokens}
     * @param frequencies each word's count
     * @param join the token a merge of two tokens spells
     */
    BpeMergeRun(List<String> initialTokens, int[][] words, long[] frequencies, int vocabSize, int minFrequency,
            BinaryOperator<String> join) {
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
        this.join = join;
        initialTokens.forEach(this::idOf);
        this.queue = new PriorityQueue<>(byCountThenPair());
        this.words = words;
        this.frequencies = frequencies;
        lastVisit = new int[words.length];
        Arrays.fill(lastVisit, -1);
        for (int w = 0; w < words.length; w++) {
            int[] symbols = words[w];
            for (int i = 0; i + 1 < symbols.length; i++) {
                PairStats stats = pairs.computeIfAbsent(pair(symbols[i], symbols[i + 1]), p -> new PairStats());
                stats.count += frequencies[w];
                stats.addWord(w);
            }
        }
        pairs.forEach((pair, stats) -> queue.add(new Candidate(pair, stats.count)));
    }

    Result run() {
        int step = 0;
        while (tokens.size() < vocabSize) {
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
            if (current < minFrequency) {
                break;
            }
            int left = left(top.pair());
            int right = right(top.pair());
            merges.add(new ByteLevelBpe.Merge(tokens.get(left), tokens.get(right)));
            // Two merge paths can spell the same token ("a"+"bc", "ab"+"c"); it keeps one id,
            // as in Hugging Face's trainer.
            int merged = idOf(join.apply(tokens.get(left), tokens.get(right)));
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
        return new Result(List.copyOf(tokens), List.copyOf(merges));
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
