package io.encoder4j.datasets.pretraining;

import io.encoder4j.core.config.Checks;

/**
 * Where a job's tokenizer comes from: an existing {@code tokenizer.json} ({@code path}), or else a byte-level BPE
 * trained on the job's corpus with {@code vocabSize} and {@code minFrequency}.
 */
public record TokenizerConfig(String path, Integer vocabSize, Integer minFrequency) {

    public TokenizerConfig {
        vocabSize = vocabSize == null ? 8000 : vocabSize;
        minFrequency = minFrequency == null ? 2 : minFrequency;
        Checks.positive("vocab_size", vocabSize);
        Checks.positive("min_frequency", minFrequency);
        if (path != null && path.isBlank()) {
            throw new IllegalArgumentException("path must not be empty");
        }
    }
}
