package io.encoder4j.datasets.pretraining;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.tokenizer.BpeTrainingSettings;
import io.encoder4j.datasets.tokenizer.ByteLevelBpeTrainer;
import io.encoder4j.datasets.tokenizer.TokenizerJsonWriter;
import io.encoder4j.datasets.tokenizer.WordPieceTrainer;
import io.encoder4j.datasets.tokenizer.WordPieceTrainingSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a job's tokenizer: the configured {@code tokenizer.json}, or one trained on the corpus and cached under
 * {@code tokenizer-<fingerprint>/} (fingerprint of the corpus content and the trainer settings), so it is trained once.
 */
public final class TokenizerResolver {

    private static final Logger LOG = LoggerFactory.getLogger(TokenizerResolver.class);
    private static final String BPE_FORMAT = "byte-level-bpe-v1";
    private static final String WORDPIECE_FORMAT = "wordpiece-v1";

    private TokenizerResolver() {}

    /**
     * The tokenizer file of {@code config}.
     *
     * @param corpusHash the corpus fingerprint (part of a trained tokenizer's cache key)
     * @param documents the corpus text, read only if a tokenizer has to be trained
     * @param key the config key of the data section, for messages
     */
    public static Path resolve(TokenizerConfig config, String corpusHash, Supplier<List<String>> documents, Path cache,
            String key) throws IOException {
        if (config.path() != null) {
            Path file = Path.of(config.path());
            if (!Files.isRegularFile(file)) {
                throw new ConfigException(key + ".tokenizer.path: " + file + " does not exist");
            }
            return file;
        }
        boolean wordPiece = config.type().equals("wordpiece");
        String fp = PackedCorpusBuilder.fingerprint(corpusHash, wordPiece ? WORDPIECE_FORMAT : BPE_FORMAT,
                config.vocabSize(), config.minFrequency());
        Path file = cache.resolve("tokenizer-" + fp).resolve("tokenizer.json");
        if (Files.isRegularFile(file)) {
            LOG.info("Reusing tokenizer {}", file);
            return file;
        }
        List<String> docs = documents.get();
        LOG.info("Training a {} tokenizer (vocabulary {}) on {} documents", wordPiece ? "WordPiece" : "byte-level BPE",
                config.vocabSize(), docs.size());
        Files.createDirectories(file.getParent());
        try {
            if (wordPiece) {
                WordPieceTrainer.write(WordPieceTrainer.train(docs,
                        WordPieceTrainingSettings.roberta(config.vocabSize(), config.minFrequency())), file);
            } else {
                TokenizerJsonWriter.write(ByteLevelBpeTrainer.train(docs,
                        BpeTrainingSettings.roberta(config.vocabSize(), config.minFrequency())), file);
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ".tokenizer: " + e.getMessage(), e);
        }
        return file;
    }
}
