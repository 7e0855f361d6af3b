package io.encoder4j.datasets.tokenizer;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Settings of a WordPiece training run.
 *
 * @param vocabSize the target vocabulary size, special tokens and the character alphabet included
 * @param minFrequency the minimum number of occurrences a pair needs to be merged
 * @param specialTokens the special tokens, given the first ids in this order
 * @param lowercase whether text is lowercased and stripped of accents (bert-base-uncased) or kept (cased)
 */
public record WordPieceTrainingSettings(int vocabSize, int minFrequency, List<String> specialTokens,
        boolean lowercase) {

    /** The prefix of a token that continues a word. */
    public static final String PREFIX = "##";

    public WordPieceTrainingSettings {
        Objects.requireNonNull(specialTokens, "specialTokens");
        specialTokens = List.copyOf(specialTokens);
        if (new HashSet<>(specialTokens).size() != specialTokens.size()) {
            throw new IllegalArgumentException("special tokens must be distinct: " + specialTokens);
        }
        if (vocabSize <= specialTokens.size()) {
            throw new IllegalArgumentException("vocab_size must exceed the " + specialTokens.size()
                    + " special tokens, got " + vocabSize);
        }
        if (minFrequency < 1) {
            throw new IllegalArgumentException("min_frequency must be at least 1, got " + minFrequency);
        }
    }

    /**
     * The project's RoBERTa special tokens ({@code <s>} 0, {@code <pad>} 1, {@code </s>} 2, {@code <unk>} 3,
     * {@code <mask>} 4) with a lowercasing WordPiece, so that framing, padding and masking work as with the BPE.
     */
    public static WordPieceTrainingSettings roberta(int vocabSize, int minFrequency) {
        return new WordPieceTrainingSettings(vocabSize, minFrequency, BpeTrainingSettings.roberta(1000, 1)
                .specialTokens(), true);
    }
}
