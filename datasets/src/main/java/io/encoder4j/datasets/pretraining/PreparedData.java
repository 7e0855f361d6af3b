package io.encoder4j.datasets.pretraining;

import java.nio.file.Path;

/**
 * Tokenized, packed pretraining data in the cache, ready to read.
 *
 * @param directory the cache entry (holds {@code manifest.json}, {@code train/}, {@code validation/})
 * @param tokenizerJson the tokenizer the blocks were encoded with
 * @param unigramBaselineNats cross-entropy of the validation tokens (specials excluded) under the add-one smoothed
 *     token frequencies of the training split: the loss of a model that ignores context
 * @param reused whether the entry existed before this call
 */
public record PreparedData(
        Path directory,
        Path tokenizerJson,
        int seqLength,
        long trainBlocks,
        long validationBlocks,
        double unigramBaselineNats,
        boolean reused) {

    public Path trainDir() {
        return directory.resolve("train");
    }

    public Path validationDir() {
        return directory.resolve("validation");
    }
}
