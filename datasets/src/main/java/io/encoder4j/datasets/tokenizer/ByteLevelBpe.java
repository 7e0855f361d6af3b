package io.encoder4j.datasets.tokenizer;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * A trained byte-level BPE model: the vocabulary in id order and the merges in rank order, with
 * tokens in GPT-2's byte-to-unicode form ({@code Ġthe} is " the").
 *
 * @param vocab every token, the index being its id: special tokens, the 256 byte symbols, then
 *     the tokens learned by merges
 * @param merges the merge rules, earliest (highest priority) first
 * @param specialTokens the special tokens, which are also the first entries of {@code vocab}
 */
public record ByteLevelBpe(List<String> vocab, List<Merge> merges, List<String> specialTokens) {

    /**
     * One merge rule: adjacent symbols {@code left} and {@code right} become {@code left + right}.
     * Byte-level symbols never contain a space, so the rule is unambiguous in the "left right"
     * form of merges.txt.
     */
    public record Merge(String left, String right) {
        public Merge {
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
        }

        /** The merged token. */
        public String result() {
            return left + right;
        }
    }

    public ByteLevelBpe {
        vocab = List.copyOf(vocab);
        merges = List.copyOf(merges);
        specialTokens = List.copyOf(specialTokens);
        if (new HashSet<>(vocab).size() != vocab.size()) {
            throw new IllegalArgumentException("vocabulary has duplicate tokens");
        }
        if (!vocab.subList(0, Math.min(specialTokens.size(), vocab.size())).equals(specialTokens)) {
            throw new IllegalArgumentException("special tokens must open the vocabulary");
        }
    }
}
