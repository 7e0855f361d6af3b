package io.encoder4j.datasets.prepare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.arrow.ArrowShardWriter;
import io.encoder4j.datasets.corpus.Corpus;
import io.encoder4j.datasets.corpus.DocumentSink;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.pretraining.PackedCorpusBuilder;
import io.encoder4j.datasets.pretraining.TokenizerResolver;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/encoder4j prepare}: tokenises a corpus once into Arrow shards, in two cached stages.
 *
 * <ol>
 *   <li>Each input source (a file, or a dataset directory) is tokenised into its own cache entry
 *       {@code tokens-<fingerprint>/} (one row per document, no frame tokens), named by the source's bytes, its
 *       reading settings and the tokenizer file. Adding a file to a corpus tokenises that file only; an unchanged
 *       input is never tokenised again.</li>
 *   <li>The token caches are packed ({@link Packing}) and split into {@code prepared-<fingerprint>/} (fingerprint of
 *       the token caches and every packing setting), with {@code manifest.json} and a copy of the tokenizer.</li>
 * </ol>
 *
 * Every entry is written to a temporary directory and renamed into place when complete, so an interrupted run
 * leaves nothing that a later run would take for finished data.
 */
public final class DataPreparer {

    private static final Logger LOG = LoggerFactory.getLogger(DataPreparer.class);
    private static final String TOKENS_FORMAT = "doc-tokens-v1";
    private static final String PREPARED_FORMAT = "prepared-v1";
    private static final int ENCODE_DOCS = 1024;
    private static final long ENCODE_CHARS = 4L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private DataPreparer() {}

    /** Prepares (or finds) the data of {@code config}; messages name keys under {@code key}. */
    public static PreparedCorpus prepare(PrepareConfig config, String key) throws IOException {
        long started = System.nanoTime();
        Corpus corpus = Corpus.of(key + ".corpus", config.corpus());
        Path cache = Path.of(config.cacheDir());
        BadRows bad = new BadRows(config.skipBadRows());
        Path tokenizerJson = TokenizerResolver.resolve(config.tokenizer(), corpus.contentHash(),
                () -> corpus.documents(key + ".corpus", bad), cache, key);
        String tokenizerSha = PackedCorpusBuilder.sha256(Files.readAllBytes(tokenizerJson));

        List<Path> tokenDirs = new ArrayList<>();
        ArrayNode sources = JSON.createArrayNode();
        try (TextTokenizer tokenizer = openTokenizer(tokenizerJson, key)) {
            for (Corpus.Source source : corpus.sources()) {
                Path dir = tokenizeSource(source, tokenizer, tokenizerSha, config, cache);
                tokenDirs.add(dir);
                JsonNode m = JSON.readTree(dir.resolve(PreparedCorpus.MANIFEST).toFile());
                sources.addObject().put("path", source.path().toString()).put("format", source.format().name())
                        .put("token_cache", dir.getFileName().toString()).set("counts", m);
            }
        }

        List<String> parts = new ArrayList<>(List.of(PREPARED_FORMAT, tokenizerSha, config.packing(),
                Integer.toString(config.seqLength()), Float.toString(config.validationFraction()),
                Boolean.toString(config.wholeWordMasking())));
        tokenDirs.forEach(d -> parts.add(d.getFileName().toString()));
        String fp = PackedCorpusBuilder.fingerprint(parts.toArray());
        Path entry = cache.resolve("prepared-" + fp);
        if (Files.isRegularFile(entry.resolve(PreparedCorpus.MANIFEST))) {
            LOG.info("Reusing prepared data {}", entry);
            return PreparedCorpus.open(entry, true);
        }
        Path tmp = cache.resolve("prepared-" + fp + ".tmp-" + ProcessHandle.current().pid());
        FileTrees.deleteRecursively(tmp);
        try {
            pack(tokenDirs, tokenizerJson, config, fp, sources, tmp, key);
            publish(tmp, entry);
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

    private static void publish(Path tmp, Path entry) throws IOException {
        FileTrees.deleteRecursively(entry);
        Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Stage 1: the token cache of one source, made if missing. */
    private static Path tokenizeSource(Corpus.Source source, TextTokenizer tokenizer, String tokenizerSha,
            PrepareConfig config, Path cache) throws IOException {
        String fp = PackedCorpusBuilder.fingerprint(TOKENS_FORMAT, Corpus.sourceHash(source), tokenizerSha,
                config.skipBadRows());
        Path entry = cache.resolve("tokens-" + fp);
        if (Files.isRegularFile(entry.resolve(PreparedCorpus.MANIFEST))) {
            JsonNode m = JSON.readTree(entry.resolve(PreparedCorpus.MANIFEST).toFile());
            LOG.info("Reusing tokens of {} ({} documents, {} tokens{})", source.path(), m.get("documents").asLong(),
                    m.get("tokens").asLong(), m.get("skipped_rows").asLong() > 0
                            ? "; " + m.get("skipped_rows").asLong() + " bad rows were skipped" : "");
            return entry;
        }
        Path tmp = cache.resolve("tokens-" + fp + ".tmp-" + ProcessHandle.current().pid());
        FileTrees.deleteRecursively(tmp);
        BadRows bad = new BadRows(config.skipBadRows());
        Progress progress = new Progress("Tokenising " + source.path());
        try {
            try (ArrowShardWriter writer = new ArrowShardWriter(tmp, 1024, config.rowsPerShard())) {
                Encoder encoder = new Encoder(tokenizer, writer, progress);
                Corpus.read(source, bad, encoder);
                encoder.flush();
            }
            ObjectNode m = JSON.createObjectNode();
            m.put("source", source.path().toString());
            m.put("documents", progress.documents());
            m.put("tokens", progress.tokens());
            m.put("skipped_rows", bad.skipped());
            m.put("seconds", progress.seconds());
            Files.writeString(tmp.resolve(PreparedCorpus.MANIFEST), JSON.writeValueAsString(m), StandardCharsets.UTF_8);
            publish(tmp, entry);
        } finally {
            FileTrees.deleteRecursively(tmp);
        }
        bad.logSummary(source.path().toString());
        LOG.info("Tokenised {}: {} documents, {} tokens in {} s ({} tokens/s)", source.path(), progress.documents(),
                progress.tokens(), String.format("%.1f", progress.seconds()),
                String.format("%,.0f", progress.tokensPerSecond()));
        return entry;
    }

    /** Collects texts and encodes them in native batches (parallel over the texts); writes one row per document. */
    private static final class Encoder implements DocumentSink {
        private final TextTokenizer tokenizer;
        private final ArrowShardWriter writer;
        private final Progress progress;
        private final List<String> pending = new ArrayList<>();
        private long pendingChars;

        Encoder(TextTokenizer tokenizer, ArrowShardWriter writer, Progress progress) {
            this.tokenizer = tokenizer;
            this.writer = writer;
            this.progress = progress;
        }

        @Override
        public void text(String document) {
            pending.add(document);
            pendingChars += document.length();
            if (pending.size() >= ENCODE_DOCS || pendingChars >= ENCODE_CHARS) {
                flush();
            }
        }

        @Override
        public void tokens(int[] ids) {
            flush();
            write(ids);
        }

        void flush() {
            if (pending.isEmpty()) {
                return;
            }
            for (int[] ids : tokenizer.encodeBatch(pending)) {
                write(ids);
            }
            pending.clear();
            pendingChars = 0;
        }

        private void write(int[] ids) {
            if (ids.length == 0) {
                return;
            }
            try {
                writer.write(ids);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            progress.add(1, ids.length);
        }
    }

    /** Stage 2: packs the token caches into train and validation rows. */
    private static void pack(List<Path> tokenDirs, Path tokenizerJson, PrepareConfig config, String fp,
            ArrayNode sources, Path dir, String key) throws IOException {
        int seq = config.seqLength();
        int content = seq - 2;
        double f = config.validationFraction();
        Packing packing = config.packingMode();
        Files.createDirectories(dir);
        Files.copy(tokenizerJson, dir.resolve(PreparedCorpus.TOKENIZER));
        try (TextTokenizer tokenizer = openTokenizer(tokenizerJson, key);
                ArrowShardWriter train = new ArrowShardWriter(dir.resolve("train"), 1024, config.rowsPerShard());
                ArrowShardWriter validation = new ArrowShardWriter(dir.resolve("validation"), 1024,
                        config.rowsPerShard())) {
            int bos = tokenizer.bosId();
            int eos = tokenizer.eosId();
            int vocab = tokenizer.vocabSize();
            long[][] counts = {new long[vocab], new long[vocab]};
            long[] rowCounts = new long[2];
            long[] tokenCounts = new long[2];
            long truncated = 0;
            int[] row = new int[seq];
            row[0] = bos;
            int fill = 0;
            int[] doc = new int[1024];
            for (Path tokens : tokenDirs) {
                if (!hasShards(tokens)) {
                    continue; // a source without any document
                }
                try (ArrowShardReader reader = ArrowShardReader.open(tokens)) {
                    for (long d = 0; d < reader.rowCount(); d++) {
                        int n = reader.rowLength(d);
                        if (doc.length < n) {
                            doc = new int[Math.max(n, doc.length * 2)];
                        }
                        reader.copyRow(d, doc, 0);
                        for (int t = 0; t < n; t++) {
                            if (doc[t] < 0 || doc[t] >= vocab) {
                                throw new ConfigException(tokens + ": token id " + doc[t] + " outside the tokenizer's "
                                        + vocab + " ids (input_ids made with another tokenizer?)");
                            }
                        }
                        if (packing == Packing.PER_EXAMPLE) {
                            int kept = Math.min(n, content);
                            truncated += kept < n ? 1 : 0;
                            System.arraycopy(doc, 0, row, 1, kept);
                            row[kept + 1] = eos;
                            emit(row, kept + 2, f, train, validation, rowCounts, tokenCounts, counts);
                        } else {
                            for (int t = 0; t <= n; t++) {
                                row[1 + fill++] = t < n ? doc[t] : eos;
                                if (fill == content) {
                                    row[seq - 1] = eos;
                                    emit(row, seq, f, train, validation, rowCounts, tokenCounts, counts);
                                    fill = 0;
                                }
                            }
                        }
                    }
                }
            }
            if (rowCounts[0] == 0) {
                throw new ConfigException(key + ".corpus: too little text for one training row of seq_length " + seq
                        + " (" + (rowCounts[1]) + " validation rows)");
            }
            boolean[] special = new boolean[vocab];
            for (int id : tokenizer.specialIds()) {
                special[id] = true;
            }
            ObjectNode m = JSON.createObjectNode();
            m.put("fingerprint", fp);
            m.put("format", PREPARED_FORMAT);
            m.put("packing", packing.yamlName());
            m.put("seq_length", seq);
            m.put("validation_fraction", config.validationFraction());
            m.put("whole_word_masking", config.wholeWordMasking());
            m.put("tokenizer", tokenizerJson.toAbsolutePath().toString());
            m.put("train_rows", rowCounts[0]);
            m.put("validation_rows", rowCounts[1]);
            m.put("train_tokens", tokenCounts[0]);
            m.put("validation_tokens", tokenCounts[1]);
            m.put("truncated_examples", truncated);
            if (rowCounts[1] > 0) {
                m.put("unigram_baseline_nats", PackedCorpusBuilder.unigramCrossEntropy(counts[0], counts[1], special));
            }
            m.set("sources", sources);
            Files.writeString(dir.resolve(PreparedCorpus.MANIFEST), JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsString(m), StandardCharsets.UTF_8);
        }
    }

    private static boolean hasShards(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().startsWith("shard-"));
        }
    }

    /** Writes a row to train or validation: every (1/f)-th row is held out, spread evenly over the corpus. */
    private static void emit(int[] row, int length, double f, ArrowShardWriter train, ArrowShardWriter validation,
            long[] rowCounts, long[] tokenCounts, long[][] counts) throws IOException {
        long rows = rowCounts[0] + rowCounts[1];
        int split = Math.floor((rows + 1) * f) > Math.floor(rows * f) ? 1 : 0;
        (split == 1 ? validation : train).write(row, 0, length);
        rowCounts[split]++;
        tokenCounts[split] += length;
        long[] c = counts[split];
        for (int i = 0; i < length; i++) {
            c[row[i]]++;
        }
    }
}
