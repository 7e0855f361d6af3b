package io.encoder4j.datasets.prepare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.datasets.corpus.Corpus;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.pretraining.PackedCorpusBuilder;
import io.encoder4j.datasets.pretraining.TokenizerResolver;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/encoder4j prepare}: tokenises a corpus once into Arrow shards, in two cached stages.
 *
 * <ol>
 *   <li>Each input source (a file, or a dataset directory) is tokenised into its own cache entry
 *       {@code tokens-<fingerprint>/} ({@link TokenCache}: one row per document, no frame tokens), named by the
 *       source's bytes, its reading settings and the tokenizer file. Adding a file to a corpus tokenises that file
 *       only; an unchanged input is never tokenised again.</li>
 *   <li>The token caches are packed ({@link Packing}) and split into {@code prepared-<fingerprint>/} (fingerprint of
 *       the token caches and every packing setting), with {@code manifest.json} and a copy of the tokenizer. Each
 *       output shard is a function of the token caches ({@link PackingPlan}), written on its own.</li>
 * </ol>
 *
 * A {@link PrepareExecutor} runs the sources of stage 1 and the shards of stage 2: one after another in this process,
 * or as tasks on Apache Spark (the {@code spark} module), with the same result. Every entry is written to a temporary
 * directory and renamed into place when complete, so an interrupted run leaves nothing that a later run would take for
 * finished data.
 */
public final class DataPreparer {

    private static final Logger LOG = LoggerFactory.getLogger(DataPreparer.class);
    private static final String PREPARED_FORMAT = "prepared-v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private DataPreparer() {}

    /** Prepares (or finds) the data of {@code config} in this process; messages name keys under {@code key}. */
    public static PreparedCorpus prepare(PrepareConfig config, String key) throws IOException {
        return prepare(config, key, PrepareExecutor.IN_PROCESS);
    }

    /**
     * Prepares (or finds) the data of {@code config}, tokenising and packing with {@code executor}; messages name keys
     * under {@code key}. Every executor writes the same files.
     */
    public static PreparedCorpus prepare(PrepareConfig config, String key, PrepareExecutor executor)
            throws IOException {
        long started = System.nanoTime();
        Corpus corpus = Corpus.of(key + ".corpus", config.corpus());
        Path cache = Path.of(config.cacheDir());
        BadRows bad = new BadRows(config.skipBadRows());
        // The corpus is hashed as a whole (every byte read here) only to name a tokenizer trained on it.
        String corpusHash = config.tokenizer().path() != null ? "" : corpus.contentHash();
        Path tokenizerJson = TokenizerResolver.resolve(config.tokenizer(), corpusHash,
                () -> corpus.documents(key + ".corpus", bad), cache, key);
        String tokenizerSha = PackedCorpusBuilder.sha256(Files.readAllBytes(tokenizerJson));
        openTokenizer(tokenizerJson, key).close();

        List<TokenCache.Entry> caches = executor.tokenize(corpus.sources(), tokenizerJson, tokenizerSha, config, cache);
        ArrayNode sources = JSON.createArrayNode();
        for (int i = 0; i < caches.size(); i++) {
            Corpus.Source source = corpus.sources().get(i);
            sources.addObject().put("path", source.path().toString()).put("format", source.format().name())
                    .put("token_cache", caches.get(i).dir().getFileName().toString())
                    .set("counts", caches.get(i).manifest());
        }

        List<String> parts = new ArrayList<>(List.of(PREPARED_FORMAT, tokenizerSha, config.packing(),
                Integer.toString(config.seqLength()), Float.toString(config.validationFraction()),
                Boolean.toString(config.wholeWordMasking())));
        caches.forEach(c -> parts.add(c.dir().getFileName().toString()));
        String fp = PackedCorpusBuilder.fingerprint(parts.toArray());
        Path entry = cache.resolve("prepared-" + fp);
        if (Files.isRegularFile(entry.resolve(PreparedCorpus.MANIFEST))) {
            LOG.info("Reusing prepared data {}", entry);
            return PreparedCorpus.open(entry, true);
        }
        Path tmp = cache.resolve("prepared-" + fp + ".tmp-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8));
        try {
            pack(caches, tokenizerJson, config, fp, sources, tmp, key, executor);
            TokenCache.publish(tmp, entry);
        } finally {
            FileTrees.deleteRecursively(tmp);
        }
        PreparedCorpus prepared = PreparedCorpus.open(entry, false);
        LOG.info("Prepared {} train + {} validation rows ({} packing, seq_length {}) in {} s: {}",
                prepared.trainRows(), prepared.validationRows(), config.packing(), config.seqLength(),
                String.format("%.1f", (System.nanoTime() - started) / 1e9), entry);
        return prepared;
    }

    private static TextTokenizer openTokenizer(Path file, String key) {
        try {
            TextTokenizer tokenizer = TextTokenizer.load(file);
            tokenizer.bosId();
            tokenizer.eosId();
            tokenizer.padId();
            return tokenizer;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ".tokenizer: " + e.getMessage() + " (prepared rows are framed with <s>, "
                    + "</s> and padded with <pad>)", e);
        }
    }

    /** Stage 2: packs the token caches into train and validation rows ({@link PackingPlan}), and the manifest. */
    private static void pack(List<TokenCache.Entry> caches, Path tokenizerJson, PrepareConfig config, String fp,
            ArrayNode sources, Path dir, String key, PrepareExecutor executor) throws IOException {
        Files.createDirectories(dir.resolve("train"));
        Files.createDirectories(dir.resolve("validation"));
        Files.copy(tokenizerJson, dir.resolve(PreparedCorpus.TOKENIZER));
        try (TextTokenizer tokenizer = openTokenizer(tokenizerJson, key)) {
            PackingPlan plan = PackingPlan.of(caches, config, tokenizer);
            if (plan.trainRows() == 0) {
                throw new ConfigException(key + ".corpus: too little text for one training row of seq_length "
                        + config.seqLength() + " (" + plan.validationRows() + " validation rows)");
            }
            SplitStats[] stats = executor.pack(plan, dir);
            if (stats[0].rows() != plan.trainRows() || stats[1].rows() != plan.validationRows()) {
                throw new IllegalStateException("packing wrote " + stats[0].rows() + " train and " + stats[1].rows()
                        + " validation rows; the plan has " + plan.trainRows() + " and " + plan.validationRows());
            }
            boolean[] special = new boolean[tokenizer.vocabSize()];
            for (int id : tokenizer.specialIds()) {
                special[id] = true;
            }
            ObjectNode m = JSON.createObjectNode();
            m.put("fingerprint", fp);
            m.put("format", PREPARED_FORMAT);
            m.put("packing", config.packingMode().yamlName());
            m.put("seq_length", config.seqLength());
            m.put("validation_fraction", config.validationFraction());
            m.put("whole_word_masking", config.wholeWordMasking());
            m.put("tokenizer", tokenizerJson.toAbsolutePath().toString());
            m.put("train_rows", stats[0].rows());
            m.put("validation_rows", stats[1].rows());
            m.put("train_tokens", stats[0].tokens());
            m.put("validation_tokens", stats[1].tokens());
            m.put("truncated_examples", stats[0].truncated() + stats[1].truncated());
            if (stats[1].rows() > 0) {
                m.put("unigram_baseline_nats", PackedCorpusBuilder.unigramCrossEntropy(stats[0].counts(),
                        stats[1].counts(), special));
            }
            m.set("sources", sources);
            Files.writeString(dir.resolve(PreparedCorpus.MANIFEST), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(m), StandardCharsets.UTF_8);
        }
    }
}
