package io.encoder4j.datasets.prepare;

import io.encoder4j.core.config.Checks;
import io.encoder4j.datasets.corpus.CorpusInput;
import io.encoder4j.datasets.pretraining.TokenizerConfig;
import java.util.List;

/**
 * The {@code data} section of a {@code prepare} job. Its keys are a superset of a pretraining job's {@code data}
 * section ({@code corpus}, {@code tokenizer}, {@code seq_length}, {@code validation_fraction}, {@code cache_dir}).
 *
 * @param corpus the inputs: paths, directories, globs, or {@link CorpusInput} objects with a format and text field
 * @param tokenizer an existing {@code tokenizer.json} ({@code path}), or the settings of one to train on the corpus
 * @param packing {@code group_texts} (default) or {@code per_example}
 * @param seqLength tokens per row including {@code <s>} and {@code </s>} (default 128)
 * @param validationFraction share of rows held out, every (1/f)-th row (default 0.05; 0 for none)
 * @param wholeWordMasking whether masked-LM batches mask whole words (recorded in the manifest; default false)
 * @param skipBadRows skip and count unreadable rows instead of stopping (default false)
 * @param cacheDir where tokenizers, per-input token caches and prepared data are kept (default .cache/encoder4j)
 * @param rowsPerShard rows per Arrow file (default 65536)
 */
public record PrepareConfig(
        List<CorpusInput> corpus,
        TokenizerConfig tokenizer,
        String packing,
        Integer seqLength,
        Float validationFraction,
        Boolean wholeWordMasking,
        Boolean skipBadRows,
        String cacheDir,
        Integer rowsPerShard) {

    public PrepareConfig {
        corpus = corpus == null ? List.of() : List.copyOf(corpus);
        tokenizer = tokenizer == null ? new TokenizerConfig(null, null, null) : tokenizer;
        packing = packing == null ? "group_texts" : packing;
        Packing.of(packing);
        seqLength = seqLength == null ? 128 : seqLength;
        if (seqLength < 4) {
            throw new IllegalArgumentException("seq_length must be at least 4, got " + seqLength);
        }
        validationFraction = validationFraction == null ? 0.05f : validationFraction;
        Checks.probability("validation_fraction", validationFraction);
        if (validationFraction >= 1f) {
            throw new IllegalArgumentException("validation_fraction must be below 1, got " + validationFraction);
        }
        wholeWordMasking = wholeWordMasking != null && wholeWordMasking;
        skipBadRows = skipBadRows != null && skipBadRows;
        cacheDir = cacheDir == null ? ".cache/encoder4j" : cacheDir;
        Checks.nonBlank("cache_dir", cacheDir);
        rowsPerShard = rowsPerShard == null ? 65536 : rowsPerShard;
        Checks.positive("rows_per_shard", rowsPerShard);
    }

    public Packing packingMode() {
        return Packing.of(packing);
    }
}
