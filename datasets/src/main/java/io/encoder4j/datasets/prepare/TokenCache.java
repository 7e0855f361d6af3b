package io.encoder4j.datasets.prepare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.arrow.ArrowShardWriter;
import io.encoder4j.datasets.corpus.Corpus;
import io.encoder4j.datasets.corpus.DocumentSink;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.pretraining.PackedCorpusBuilder;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1 of {@code prepare}: the documents of one input source tokenised into its own cache entry
 * {@code tokens-<fingerprint>/} (one row per document, no frame tokens, empty documents dropped), named by the
 * source's bytes, its reading settings, the tokenizer file and {@code skip_bad_rows}. An entry is made once and reused
 * by every later run, in this process or on a Spark worker, whichever made it.
 */
public final class TokenCache {

    private static final Logger LOG = LoggerFactory.getLogger(DataPreparer.class);
    private static final String FORMAT = "doc-tokens-v1";
    private static final int ENCODE_DOCS = 1024;
    private static final long ENCODE_CHARS = 4L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A finished token cache.
     *
     * @param dir the {@code tokens-<fingerprint>} directory
     * @param documents rows (non-empty documents)
     * @param tokens tokens in all rows
     * @param manifest its {@code manifest.json}, as the prepared manifest lists it under {@code sources}
     */
    public record Entry(Path dir, long documents, long tokens, ObjectNode manifest) {

        /** Reads the entry in {@code dir}. */
        public static Entry read(Path dir) throws IOException {
            ObjectNode m = (ObjectNode) JSON.readTree(dir.resolve(PreparedCorpus.MANIFEST).toFile());
            return new Entry(dir, m.get("documents").asLong(), m.get("tokens").asLong(), m);
        }
    }

    private TokenCache() {}

    /**
     * The token cache of {@code source}, made if missing, and checked against the tokenizer: every id must be below
     * its vocabulary size (ids of an {@code input_ids} column made with another tokenizer would not be).
     *
     * @param label how logs and the manifest name the source (its path as the job gave it)
     * @throws ConfigException for a bad row (unless skipped) or an id outside the tokenizer's vocabulary
     */
    public static Entry prepare(Corpus.Source source, String label, TextTokenizer tokenizer, String tokenizerSha,
            boolean skipBadRows, int rowsPerShard, Path cache) throws IOException {
        String fp = PackedCorpusBuilder.fingerprint(FORMAT, Corpus.sourceHash(source), tokenizerSha, skipBadRows);
        Path dir = cache.resolve("tokens-" + fp);
        Entry entry;
        if (Files.isRegularFile(dir.resolve(PreparedCorpus.MANIFEST))) {
            entry = Entry.read(dir);
            long skipped = entry.manifest().path("skipped_rows").asLong();
            LOG.info("Reusing tokens of {} ({} documents, {} tokens{})", label, entry.documents(), entry.tokens(),
                    skipped > 0 ? "; " + skipped + " bad rows were skipped" : "");
        } else {
            entry = make(source, label, tokenizer, skipBadRows, rowsPerShard, cache, dir);
        }
        checkIds(entry, tokenizer.vocabSize());
        return entry;
    }

    private static Entry make(Corpus.Source source, String label, TextTokenizer tokenizer, boolean skipBadRows,
            int rowsPerShard, Path cache, Path dir) throws IOException {
        // Unique per attempt: a distributed run may tokenise two identical sources (one cache entry) at once.
        Path tmp = cache.resolve(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8));
        BadRows bad = new BadRows(skipBadRows);
        Progress progress = new Progress("Tokenising " + label);
        Encoder encoder;
        try {
            try (ArrowShardWriter writer = new ArrowShardWriter(tmp, 1024, rowsPerShard)) {
                encoder = new Encoder(tokenizer, writer, progress);
                Corpus.read(source, bad, encoder);
                encoder.flush();
            }
            ObjectNode m = JSON.createObjectNode();
            m.put("source", label);
            m.put("documents", progress.documents());
            m.put("tokens", progress.tokens());
            m.put("skipped_rows", bad.skipped());
            m.put("seconds", progress.seconds());
            if (progress.documents() > 0) {
                m.put("min_id", encoder.minId);
                m.put("max_id", encoder.maxId);
            }
            Files.writeString(tmp.resolve(PreparedCorpus.MANIFEST), JSON.writeValueAsString(m), StandardCharsets.UTF_8);
            publish(tmp, dir);
        } finally {
            FileTrees.deleteRecursively(tmp);
        }
        bad.logSummary(label);
        LOG.info("Tokenised {}: {} documents, {} tokens in {} s ({} tokens/s)", label, progress.documents(),
                progress.tokens(), String.format("%.1f", progress.seconds()),
                String.format("%,.0f", progress.tokensPerSecond()));
        return Entry.read(dir);
    }

    /**
     * Renames a finished temporary directory into place. An incomplete {@code entry} (no manifest: a crashed run's
     * leftover) is replaced; a complete one, published meanwhile by a concurrent task with the same fingerprint and
     * therefore the same contents, is kept and {@code tmp} dropped.
     */
    static void publish(Path tmp, Path entry) throws IOException {
        if (Files.isRegularFile(entry.resolve(PreparedCorpus.MANIFEST))) {
            return;
        }
        FileTrees.deleteRecursively(entry);
        try {
            Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isRegularFile(entry.resolve(PreparedCorpus.MANIFEST))) {
                throw e;
            }
        }
    }

    /** Fails unless every id of {@code entry} is in {@code [0, vocab)}. */
    private static void checkIds(Entry entry, int vocab) throws IOException {
        if (entry.documents() == 0) {
            return;
        }
        JsonNode m = entry.manifest();
        long bad;
        if (m.has("min_id") && m.has("max_id")) {
            bad = m.get("max_id").asLong() >= vocab ? m.get("max_id").asLong()
                    : m.get("min_id").asLong() < 0 ? m.get("min_id").asLong() : -1;
            if (bad == -1) {
                return;
            }
        } else {
            bad = firstOutOfRange(entry.dir(), vocab); // an entry written before min_id and max_id were recorded
            if (bad == Long.MIN_VALUE) {
                return;
            }
        }
        throw new ConfigException(entry.dir() + ": token id " + bad + " outside the tokenizer's " + vocab
                + " ids (input_ids made with another tokenizer?)");
    }

    private static long firstOutOfRange(Path dir, int vocab) throws IOException {
        try (ArrowShardReader reader = ArrowShardReader.open(dir)) {
            int[] doc = new int[1024];
            for (long d = 0; d < reader.rowCount(); d++) {
                int n = reader.rowLength(d);
                if (doc.length < n) {
                    doc = new int[Math.max(n, doc.length * 2)];
                }
                reader.copyRow(d, doc, 0);
                for (int t = 0; t < n; t++) {
                    if (doc[t] < 0 || doc[t] >= vocab) {
                        return doc[t];
                    }
                }
            }
        }
        return Long.MIN_VALUE;
    }

    /** Collects texts and encodes them in native batches (parallel over the texts); writes one row per document. */
    private static final class Encoder implements DocumentSink {
        private final TextTokenizer tokenizer;
        private final ArrowShardWriter writer;
        private final Progress progress;
        private final List<String> pending = new ArrayList<>();
        private long pendingChars;
        int minId = Integer.MAX_VALUE;
        int maxId = Integer.MIN_VALUE;

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
            for (int id : ids) {
                minId = Math.min(minId, id);
                maxId = Math.max(maxId, id);
            }
            try {
                writer.write(ids);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            progress.add(1, ids.length);
        }
    }
}
