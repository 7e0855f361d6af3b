package io.encoder4j.datasets.tokenizer;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * Settings of a byte-level BPE training run.
 *
 * @param vocabSize the target vocabulary size, special tokens and the 256 byte symbols included
 * @param minFrequency the minimum number of occurrences a pair needs to be merged
 * @param specialTokens the special tokens, given the first ids in this order
 */
public record BpeTrainingSettings(int vocabSize, int minFrequency, List<String> specialTokens) {

    /** The byte alphabet every byte-level vocabulary starts from. */
    static final int BYTE_SYMBOLS = 256;

    static final String BOS = "<s>";
    static final String PAD = "<pad>";
    static final String EOS = "</s>";
    static final String UNK = "<unk>";
    static final String MASK = "<mask>";

    public BpeTrainingSettings {
        Objects.requireNonNull(specialTokens, "specialTokens");
        specialTokens = List.copyOf(specialTokens);
        if (new HashSet<>(specialTokens).size() != specialTokens.size()) {
            throw new IllegalArgumentException("special tokens must be distinct: " + specialTokens);
        }
        for (String token : specialTokens) {
            if (token.isEmpty()) {
                throw new IllegalArgumentException("special tokens must not be empty");
            }
        }
        int floor = BYTE_SYMBOLS + specialTokens.size();
        if (vocabSize <= floor) {
            throw new IllegalArgumentException(
                    "vocabSize must exceed 256 byte symbols + "
                            + specialTokens.size()
                            + " special tokens = "
                            + floor
                            + ", got "
                            + vocabSize);
        }
        if (minFrequency < 1) {
            throw new IllegalArgumentException("minFrequency must be at least 1, got " + minFrequency);
        }
    }

    /**
     * RoBERTa's special tokens: {@code <s>}=0, {@code <pad>}=1, {@code </s>}=2, {@code <unk>}=3,
     * {@code <mask>}=4. The first four are roberta-base's ids (fairseq's dictionary order); {@code
     * <mask>} follows them, as in Hugging Face's recipe for training RoBERTa from scratch.
     */
    public static BpeTrainingSettings roberta(int vocabSize, int minFrequency) {
        return new BpeTrainingSettings(
                vocabSize, minFrequency, List.of(BOS, PAD, EOS, UNK, MASK));
    }
}
