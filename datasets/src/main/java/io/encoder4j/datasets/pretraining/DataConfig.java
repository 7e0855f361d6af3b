package io.encoder4j.datasets.pretraining;

import io.encoder4j.core.config.Checks;
import java.util.List;

/**
 * The {@code data} section of a pretraining job.
 *
 * @param corpus text files or directories of {@code .txt} files, relative to the working directory
 * @param seqLength tokens per packed block, including the {@code <s>} and {@code </s>} that frame it
 * @param validationFraction share of the blocks held out for evaluation
 * @param cacheDir where tokenizers and Arrow shards are kept, keyed by a fingerprint of their inputs
 */
public record DataConfig(
        List<String> corpus, TokenizerConfig tokenizer, Integer seqLength, Float validationFraction, String cacheDir) {

    /** Every field at its default. */
    public static DataConfig defaults() {
        return new DataConfig(null, null, null, null, null);
    }

    public DataConfig {
        corpus = corpus == null ? List.of() : List.copyOf(corpus);
        tokenizer = tokenizer == null ? new TokenizerConfig(null, null, null) : tokenizer;
        seqLength = seqLength == null ? 128 : seqLength;
        validationFraction = validationFraction == null ? 0.05f : validationFraction;
        cacheDir = cacheDir == null ? ".cache/encoder4j" : cacheDir;
        Checks.positive("seq_length", seqLength);
        if (seqLength < 4) {
            throw new IllegalArgumentException("seq_length must be at least 4, got " + seqLength);
        }
        Checks.probability("validation_fraction", validationFraction);
        if (validationFraction == 0f) {
            throw new IllegalArgumentException("validation_fraction must be greater than 0 (evaluation needs data)");
        }
        Checks.nonBlank("cache_dir", cacheDir);
    }
}
