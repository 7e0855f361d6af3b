package io.encoder4j.datasets.prepare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.masking.MaskingConfig;
import io.encoder4j.datasets.masking.MlmMasker;
import io.encoder4j.datasets.sampling.BatchOrder;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A directory written by {@link DataPreparer}: {@code manifest.json}, {@code tokenizer.json}, and Arrow shards under
 * {@code train/} and {@code validation/} ({@code input_ids: list<int32>}, readable by pyarrow and {@code datasets}).
 *
 * @param directory the prepared directory
 * @param fingerprint what it was prepared from (inputs, tokenizer, settings)
 * @param packing how documents became rows
 * @param seqLength the longest row (every row for {@code group_texts})
 * @param trainRows rows in {@code train/}
 * @param validationRows rows in {@code validation/}
 * @param trainTokens tokens in the training rows, frame tokens included
 * @param wholeWordMasking whether masked-LM batches of this data mask whole words
 * @param unigramBaselineNats cross-entropy of the validation tokens under the training unigram frequencies (NaN
 *     without validation rows)
 * @param reused whether the directory existed before this run
 */
public record PreparedCorpus(Path directory, String fingerprint, Packing packing, int seqLength, long trainRows,
        long validationRows, long trainTokens, boolean wholeWordMasking, double unigramBaselineNats, boolean reused) {

    static final String MANIFEST = "manifest.json";
    static final String TOKENIZER = "tokenizer.json";

    /** Opens a prepared directory. */
    public static PreparedCorpus open(Path directory) {
        return open(directory, true);
    }

    static PreparedCorpus open(Path directory, boolean reused) {
        Path manifest = directory.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            throw new ConfigException(directory + ": not prepared data (no " + MANIFEST + ")");
        }
        try {
            JsonNode m = new ObjectMapper().readTree(manifest.toFile());
            return new PreparedCorpus(directory, m.get("fingerprint").asText(), Packing.of(m.get("packing").asText()),
                    m.get("seq_length").asInt(), m.get("train_rows").asLong(), m.get("validation_rows").asLong(),
                    m.get("train_tokens").asLong(), m.get("whole_word_masking").asBoolean(),
                    m.path("unigram_baseline_nats").asDouble(Double.NaN), reused);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(manifest + ": unreadable manifest: " + e.getMessage(), e);
        }
    }

    /** The tokenizer the rows were encoded with (a copy kept with the data). */
    public Path tokenizerJson() {
        return directory.resolve(TOKENIZER);
    }

    public Path trainDir() {
        return directory.resolve("train");
    }

    public Path validationDir() {
        return directory.resolve("validation");
    }

    /** Memory-maps the training rows. */
    public ArrowShardReader openTrain() throws IOException {
        return ArrowShardReader.open(trainDir());
    }

    /** Memory-maps the validation rows. */
    public ArrowShardReader openValidation() throws IOException {
        if (validationRows == 0) {
            throw new ConfigException(directory + ": prepared without validation rows (validation_fraction: 0)");
        }
        return ArrowShardReader.open(validationDir());
    }

    /** Shuffled training batches: epoch-aware, seeded, resumable. */
    public PretrainingBatches trainBatches(ArrowShardReader rows, int batchSize, long seed, int padId) {
        return new PretrainingBatches(rows, BatchOrder.training(rows.rowCount(), batchSize, seed), packing, seqLength,
                padId, fingerprint);
    }

    /** Every validation row once, in order. */
    public PretrainingBatches validationBatches(ArrowShardReader rows, int batchSize, int padId) {
        return new PretrainingBatches(rows, BatchOrder.sequential(rows.rowCount(), batchSize), packing, seqLength,
                padId, fingerprint);
    }

    /** The masked-LM corruption for this data: whole words when the data was prepared with whole_word_masking. */
    public MlmMasker masker(MaskingConfig config, TextTokenizer tokenizer) {
        return new MlmMasker(config, tokenizer.maskId(), tokenizer.vocabSize(), tokenizer.specialIds(),
                wholeWordMasking ? tokenizer.continuesWord() : null);
    }
}
