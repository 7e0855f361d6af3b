package io.encoder4j.datasets.pretraining;

import io.encoder4j.core.config.Checks;
import java.util.List;

/**
 * Where a job's tokenizer comes from: an existing {@code tokenizer.json} ({@code path}), or else one trained on the
 * job's corpus: a byte-level BPE ({@code type: byte_level_bpe}, the default, as RoBERTa) or a WordPiece
 * ({@code type: wordpiece}, as BERT, lowercasing) with {@code vocabSize} and {@code minFrequency}.
 */
public record TokenizerConfig(String path, Integer vocabSize, Integer minFrequency, String type) {

    /** The trainers a job may name. */
    public static final List<String> TYPES = List.of("byte_level_bpe", "wordpiece");

    public TokenizerConfig {
        vocabSize = vocabSize == null ? 8000 : vocabSize;
        minFrequency = minFrequency == null ? 2 : minFrequency;
        type = type == null ? "byte_level_bpe" : type;
        Checks.positive("vocab_size", vocabSize);
        Checks.positive("min_frequency", minFrequency);
        if (path != null && path.isBlank()) {
            throw new IllegalArgumentException("path must not be empty");
        }
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("type must be one of " + TYPES + ", got '" + type + "'");
        }
    }

    /** A byte-level BPE (or the file at {@code path}). */
    public TokenizerConfig(String path, Integer vocabSize, Integer minFrequency) {
        this(path, vocabSize, minFrequency, null);
    }
}
