package io.encoder4j.datasets.pretraining;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.datasets.arrow.ArrowShardWriter;
import io.encoder4j.datasets.corpus.TextCorpus;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a text corpus into packed Arrow blocks once, and finds them again: each cache entry is named by a
 * fingerprint of everything that determines its contents (corpus text, tokenizer file, block length, split, format
 * version), and is published by renaming a finished temporary directory, so an interrupted run leaves no half entry.
 *
 * <p>Packing follows RoBERTa's FULL-SENTENCES input (Liu et al. 2019, section 4.2): documents are concatenated with
 * {@code </s>} between them and cut into blocks of {@code seqLength - 2} tokens, each framed as
 * {@code <s> ... </s>}; the incomplete tail is dropped, as in transformers' {@code group_texts}.
 */
public final class PackedCorpusBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(PackedCorpusBuilder.class);
    private static final String FORMAT = "packed-v1";
    private static final String MANIFEST = "manifest.json";
    private static final int ENCODE_CHUNK = 2048;
    private static final ObjectMapper JSON = new ObjectMapper();

    private PackedCorpusBuilder() {}

    /** Prepares (or reuses) the data of a job; config keys in messages are under {@code key}. */
    public static PreparedData prepare(DataConfig config, String key) throws IOException {
        TextCorpus corpus = TextCorpus.of(key + ".corpus", config.corpus());
        String corpusHash = corpus.contentHash();
        Path cache = Path.of(config.cacheDir());
        // The documents are read here only if a tokenizer has to be trained, and then reused for packing.
        AtomicReference<List<String>> read = new AtomicReference<>();
        Path tokenizerJson = TokenizerResolver.resolve(config.tokenizer(), corpusHash, () -> {
            read.set(corpus.documents(key + ".corpus"));
            return read.get();
        }, cache, key);
        List<String> documents = read.get();

        String fp = fingerprint(corpusHash, sha256(Files.readAllBytes(tokenizerJson)), FORMAT,
                config.seqLength(), config.validationFraction());
        Path entry = cache.resolve("packed-" + fp);
        if (Files.isRegularFile(entry.resolve(MANIFEST))) {
            LOG.info("Reusing tokenized data {}", entry);
            return readManifest(entry, tokenizerJson, true);
        }
        if (documents == null) {
            documents = corpus.documents(key + ".corpus");
        }
        Path tmp = cache.resolve("packed-" + fp + ".tmp-" + ProcessHandle.current().pid());
        FileTrees.deleteRecursively(tmp);
        try {
            build(documents, tokenizerJson, config, corpus, fp, tmp, key);
            FileTrees.deleteRecursively(entry);
            Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            FileTrees.deleteRecursively(tmp);
        }
        return readManifest(entry, tokenizerJson, false);
    }

    private static TextTokenizer openTokenizer(Path file, String key) {
        try {
            TextTokenizer tokenizer = TextTokenizer.load(file);
            // Packing needs the RoBERTa frame tokens; fail here rather than halfway through.
            tokenizer.bosId();
            tokenizer.eosId();
            return tokenizer;
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ".tokenizer: " + e.getMessage(), e);
        }
    }

    private static void build(List<String> documents, Path tokenizerJson, DataConfig config, TextCorpus corpus,
            String fp, Path dir, String key) throws IOException {
        int seq = config.seqLength();
        int content = seq - 2;
        double f = config.validationFraction();
        long started = System.nanoTime();
        long tokens = 0;
        long blocks = 0;
        long trainBlocks = 0;
        long validationBlocks = 0;
        try (TextTokenizer tokenizer = openTokenizer(tokenizerJson, key);
                ArrowShardWriter train = new ArrowShardWriter(dir.resolve("train"), 1024, 1L << 20);
                ArrowShardWriter validation = new ArrowShardWriter(dir.resolve("validation"), 1024, 1L << 20)) {
            int vocab = tokenizer.vocabSize();
            long[] trainCounts = new long[vocab];
            long[] validationCounts = new long[vocab];
            boolean[] special = new boolean[vocab];
            for (int id : tokenizer.specialIds()) {
                special[id] = true;
            }
            int[] block = new int[seq];
            block[0] = tokenizer.bosId();
            block[seq - 1] = tokenizer.eosId();
            int fill = 0;
            for (int start = 0; start < documents.size(); start += ENCODE_CHUNK) {
                List<String> chunk = documents.subList(start, Math.min(documents.size(), start + ENCODE_CHUNK));
                for (int[] ids : tokenizer.encodeBatch(chunk)) {
                    tokens += ids.length;
                    for (int t = 0; t <= ids.length; t++) {
                        block[1 + fill++] = t < ids.length ? ids[t] : tokenizer.eosId();
                        if (fill == content) {
                            // Spread the held-out blocks evenly over the corpus (every 1/f-th block).
                            boolean held = Math.floor((blocks + 1) * f) > Math.floor(blocks * f);
                            (held ? validation : train).write(block);
                            long[] counts = held ? validationCounts : trainCounts;
                            for (int i = 1; i <= content; i++) {
                                counts[block[i]]++;
                            }
                            if (held) {
                                validationBlocks++;
                            } else {
                                trainBlocks++;
                            }
                            blocks++;
                            fill = 0;
                        }
                    }
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            LOG.info("Tokenized {} documents: {} tokens in {} s ({} tokens/s), {} train + {} validation blocks",
                    documents.size(), tokens, String.format("%.1f", seconds), String.format("%.0f", tokens / seconds),
                    trainBlocks, validationBlocks);
            if (trainBlocks == 0 || validationBlocks == 0) {
                throw new ConfigException(key + ".corpus: the corpus gives only " + tokens + " tokens: too few for "
                        + "one training and one validation block of seq_length " + seq);
            }
            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("fingerprint", fp);
            manifest.put("format", FORMAT);
            manifest.putPOJO("corpus", corpus.files().stream().map(Path::toString).toList());
            manifest.put("tokenizer", tokenizerJson.toString());
            manifest.put("seq_length", seq);
            manifest.put("train_blocks", trainBlocks);
            manifest.put("validation_blocks", validationBlocks);
            manifest.put("train_tokens", trainBlocks * content);
            manifest.put("unigram_baseline_nats", unigramCrossEntropy(trainCounts, validationCounts, special));
            Files.writeString(dir.resolve(MANIFEST),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest), StandardCharsets.UTF_8);
        }
    }

    /**
     * Cross-entropy (nats) of the {@code target} token counts under add-one smoothed {@code reference}
     * frequencies; special tokens are left out of both, as masked-LM never predicts them.
     */
    public static double unigramCrossEntropy(long[] reference, long[] target, boolean[] special) {
        long total = 0;
        int ordinary = 0;
        for (int v = 0; v < reference.length; v++) {
            if (!special[v]) {
                total += reference[v];
                ordinary++;
            }
        }
        double nats = 0;
        long n = 0;
        for (int v = 0; v < target.length; v++) {
            if (special[v] || target[v] == 0) {
                continue;
            }
            double p = (reference[v] + 1.0) / (total + ordinary);
            nats -= target[v] * Math.log(p);
            n += target[v];
        }
        return n == 0 ? Double.NaN : nats / n;
    }

    private static PreparedData readManifest(Path entry, Path tokenizerJson, boolean reused) throws IOException {
        JsonNode m = JSON.readTree(entry.resolve(MANIFEST).toFile());
        return new PreparedData(entry, tokenizerJson, m.get("seq_length").asInt(), m.get("train_blocks").asLong(),
                m.get("validation_blocks").asLong(), m.get("unigram_baseline_nats").asDouble(), reused);
    }

    /** The first 16 hex digits of SHA-256 over the parts, each followed by a NUL. */
    public static String fingerprint(Object... parts) {
        StringBuilder sb = new StringBuilder();
        for (Object p : parts) {
            sb.append(p).append('\u0000');
        }
        return sha256(sb.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    /** SHA-256 of {@code bytes}, in hex. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
