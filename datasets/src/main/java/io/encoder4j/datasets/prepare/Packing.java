package io.encoder4j.datasets.prepare;

import java.util.Locale;

/** How documents become rows of prepared data. */
public enum Packing {
    /**
     * Concatenate the documents with {@code </s>} between them and cut the stream into blocks of
     * {@code seq_length - 2} tokens, each framed {@code <s> ... </s>}; the incomplete tail is dropped (RoBERTa's
     * FULL-SENTENCES input, Liu et al. 2019, section 4.2; transformers' {@code group_texts}). Every row has
     * {@code seq_length} tokens, so batches need no padding.
     */
    GROUP_TEXTS,
    /**
     * One document per row, framed {@code <s> ... </s>} and cut to {@code seq_length}; batches are padded to their
     * longest row (dynamic padding) with an attention mask.
     */
    PER_EXAMPLE;

    /** The YAML name: {@code group_texts} or {@code per_example}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Packing of(String name) {
        for (Packing p : values()) {
            if (p.yamlName().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("packing must be group_texts or per_example, got '" + name + "'");
    }
}
