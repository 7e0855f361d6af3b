package io.encoder4j.datasets.prepare;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.corpus.CorpusInput;
import io.encoder4j.datasets.masking.MaskedBatch;
import io.encoder4j.datasets.masking.MaskingConfig;
import io.encoder4j.datasets.masking.MlmMasker;
import io.encoder4j.datasets.pretraining.TokenizerConfig;
import io.encoder4j.datasets.sampling.DataCursor;
import io.encoder4j.datasets.tasks.TaskTesting;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataPreparerTest {

    private static TextTokenizer tokenizer;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        tokenizer = TaskTesting.tokenizer();
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    private Path corpusDir() throws Exception {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("a-inaugural.txt"),
                Files.readString(TaskTesting.shared("corpus/inaugural.txt")).substring(0, 30_000));
        Files.write(corpus.resolve("b-sotu.jsonl"),
                Files.readAllLines(TaskTesting.shared("long/sotu.jsonl")).subList(0, 2));
        return corpus;
    }

    private PrepareConfig config(List<CorpusInput> inputs, String packing, int seq, float validation, boolean skip) {
        return new PrepareConfig(inputs, new TokenizerConfig(TaskTesting.tokenizerJson().toString(), null, null),
                packing, seq, validation, false, skip, dir.resolve("cache").toString(), 50);
    }

    /** The documents of the test corpus, encoded as the preparer must have encoded them. */
    private List<int[]> documents(Path corpus) throws Exception {
        List<String> texts = new ArrayList<>();
        io.encoder4j.datasets.corpus.Corpus.of("k", List.of(CorpusInput.of(corpus.toString())))
                .read(io.encoder4j.datasets.input.BadRows.strict(), new io.encoder4j.datasets.corpus.DocumentSink() {
                    @Override
                    public void text(String document) {
                        texts.add(document);
                    }

                    @Override
                    public void tokens(int[] ids) {
                        throw new AssertionError();
                    }
                });
        return tokenizer.encodeBatch(texts);
    }

    private static List<int[]> rows(ArrowShardReader reader) {
        List<int[]> rows = new ArrayList<>();
        for (long r = 0; r < reader.rowCount(); r++) {
            int[] row = new int[reader.rowLength(r)];
            reader.copyRow(r, row, 0);
            rows.add(row);
        }
        return rows;
    }

    /** Train and validation rows merged back in corpus order (validation takes every (1/f)-th row). */
    private static List<int[]> merged(PreparedCorpus p, double f) throws Exception {
        List<int[]> train;
        List<int[]> validation;
        try (ArrowShardReader t = p.openTrain(); ArrowShardReader v = p.openValidation()) {
            train = rows(t);
            validation = rows(v);
        }
        List<int[]> all = new ArrayList<>();
        int ti = 0;
        int vi = 0;
        for (long r = 0; r < train.size() + validation.size(); r++) {
            boolean held = Math.floor((r + 1) * f) > Math.floor(r * f);
            all.add(held ? validation.get(vi++) : train.get(ti++));
        }
        return all;
    }

    @Test
    void groupTextsPacksTheTokenStreamIntoFramedBlocksOnceAndReusesIt() throws Exception {
        Path corpus = corpusDir();
        PrepareConfig config = config(List.of(CorpusInput.of(corpus.toString())), "group_texts", 64, 0.1f, false);
        PreparedCorpus first = DataPreparer.prepare(config, "data");
        assertFalse(first.reused());
        assertEquals(Packing.GROUP_TEXTS, first.packing());

        // The blocks, in corpus order, are the documents' ids joined by </s>, cut into 62-token pieces.
        List<Integer> stream = new ArrayList<>();
        for (int[] doc : documents(corpus)) {
            for (int id : doc) {
                stream.add(id);
            }
            stream.add(tokenizer.eosId());
        }
        List<int[]> blocks = merged(first, 0.1);
        assertEquals(stream.size() / 62, blocks.size());
        for (int b = 0; b < blocks.size(); b++) {
            int[] block = blocks.get(b);
            assertEquals(64, block.length);
            assertEquals(tokenizer.bosId(), block[0]);
            assertEquals(tokenizer.eosId(), block[63]);
            for (int i = 0; i < 62; i++) {
                assertEquals((int) stream.get(b * 62 + i), block[i + 1], "block " + b + " token " + i);
            }
        }
        assertTrue(first.unigramBaselineNats() > 2, "baseline " + first.unigramBaselineNats());
        assertTrue(Files.isRegularFile(first.tokenizerJson()));

        // Unchanged: reused, nothing tokenised again.
        PreparedCorpus again = DataPreparer.prepare(config, "data");
        assertTrue(again.reused());
        assertEquals(first.directory(), again.directory());
        assertEquals(2, count("tokens-"));

        // A new file: only it is tokenised; the other inputs' token caches are reused.
        Files.writeString(corpus.resolve("c-new.txt"), "A new paragraph of text.\n\nAnd another one, longer than the "
                + "first, so that the corpus grows by a few tokens.\n");
        PreparedCorpus grown = DataPreparer.prepare(config, "data");
        assertFalse(grown.reused());
        assertEquals(3, count("tokens-"));
        assertEquals(2, count("prepared-"));
        assertEquals(0, count(".tmp-"), "no temporary directory left behind");
    }

    private long count(String marker) throws Exception {
        try (Stream<Path> files = Files.list(dir.resolve("cache"))) {
            return files.filter(p -> p.getFileName().toString().contains(marker)).count();
        }
    }

    @Test
    void perExampleRowsAreFramedTruncatedAndPaddedPerBatch() throws Exception {
        Path corpus = corpusDir();
        PreparedCorpus p = DataPreparer.prepare(
                config(List.of(CorpusInput.of(corpus.toString())), "per_example", 48, 0.2f, false), "data");
        assertEquals(Packing.PER_EXAMPLE, p.packing());
        List<int[]> docs = documents(corpus);
        List<int[]> rows = merged(p, 0.2);
        assertEquals(docs.size(), rows.size());
        for (int i = 0; i < docs.size(); i++) {
            int[] doc = docs.get(i);
            int kept = Math.min(doc.length, 46);
            int[] expected = new int[kept + 2];
            expected[0] = tokenizer.bosId();
            System.arraycopy(doc, 0, expected, 1, kept);
            expected[kept + 1] = tokenizer.eosId();
            assertArrayEquals(expected, rows.get(i));
        }
        try (ArrowShardReader train = p.openTrain()) {
            PretrainingBatches batches = p.trainBatches(train, 8, 3, tokenizer.padId());
            TokenBatch batch = batches.batch(0);
            int longest = 0;
            for (int i = 0; i < 8; i++) {
                int len = train.rowLength(batch.rows()[i]);
                longest = Math.max(longest, len);
                for (int t = 0; t < batch.length(); t++) {
                    assertEquals(t < len ? 1 : 0, batch.attentionMask()[i * batch.length() + t]);
                    if (t >= len) {
                        assertEquals(tokenizer.padId(), batch.inputIds()[i * batch.length() + t]);
                    }
                }
            }
            assertEquals(longest, batch.length());
            assertEquals(batch.inputIds().length, batch.directInputIds().remaining());
        }
    }

    @Test
    void theResumeCursorGivesExactlyTheBatchesOfAnUninterruptedRun() throws Exception {
        PreparedCorpus p = DataPreparer.prepare(
                config(List.of(CorpusInput.of(corpusDir().toString())), "group_texts", 32, 0.05f, false), "data");
        try (ArrowShardReader train = p.openTrain()) {
            PretrainingBatches run = p.trainBatches(train, 16, 11, tokenizer.padId());
            long total = 2 * run.batchesPerEpoch() + 5; // across two epoch boundaries
            List<TokenBatch> uninterrupted = new ArrayList<>();
            for (long k = 0; k < total; k++) {
                uninterrupted.add(run.batch(k));
            }
            long stop = run.batchesPerEpoch() - 2;
            DataCursor cursor = DataCursor.fromJson(run.cursorAt(stop).toJson());
            try (ArrowShardReader reopened = PreparedCorpus.open(p.directory()).openTrain()) {
                PretrainingBatches resumed = p.trainBatches(reopened, 16, 11, tokenizer.padId());
                long k = resumed.resume(cursor);
                assertEquals(stop, k);
                for (; k < total; k++) {
                    TokenBatch expected = uninterrupted.get((int) k);
                    TokenBatch actual = resumed.batch(k);
                    assertArrayEquals(expected.rows(), actual.rows(), "batch " + k);
                    assertArrayEquals(expected.inputIds(), actual.inputIds(), "batch " + k);
                }
                assertThrows(IllegalArgumentException.class,
                        () -> p.trainBatches(reopened, 16, 12, tokenizer.padId()).resume(cursor));
            }
        }
    }

    @Test
    void aBadRowStopsTheRunWithoutLeavingDataOrIsSkippedAndCounted() throws Exception {
        Path corpus = corpusDir();
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"fine\"}\n{\"text\": broken}\n");
        List<CorpusInput> inputs = List.of(CorpusInput.of(corpus.toString()), CorpusInput.of(bad.toString()));
        ConfigException e = assertThrows(ConfigException.class,
                () -> DataPreparer.prepare(config(inputs, "group_texts", 32, 0.1f, false), "data"));
        assertTrue(e.getMessage().startsWith(bad + ": line 2: malformed JSON"), e.getMessage());
        assertEquals(0, count("prepared-"));
        assertEquals(0, count(".tmp-"));

        PreparedCorpus skipped = DataPreparer.prepare(config(inputs, "group_texts", 32, 0.1f, true), "data");
        String manifest = Files.readString(skipped.directory().resolve("manifest.json"));
        assertTrue(manifest.contains("\"skipped_rows\" : 1"), manifest);
    }

    @Test
    void idsOutsideTheTokenizersVocabularyAreRefusedNamingTheTokenCache() throws Exception {
        Path ids = dir.resolve("ids");
        try (io.encoder4j.datasets.arrow.ArrowShardWriter writer =
                new io.encoder4j.datasets.arrow.ArrowShardWriter(ids, 16, 100)) {
            writer.write(new int[] {5, 6, 7});
            writer.write(new int[] {8, tokenizer.vocabSize() + 41, 9});
        }
        PrepareConfig config = config(List.of(CorpusInput.of(corpusDir().toString()),
                CorpusInput.of(ids.resolve("shard-00000.arrow").toString())), "group_texts", 8, 0.1f, false);
        ConfigException e = assertThrows(ConfigException.class, () -> DataPreparer.prepare(config, "data"));
        assertTrue(e.getMessage().matches(".*tokens-[0-9a-f]+: token id " + (tokenizer.vocabSize() + 41)
                + " outside the tokenizer's " + tokenizer.vocabSize() + " ids .*"), e.getMessage());
        assertEquals(0, count("prepared-"));
        // Found again when the token cache is reused.
        assertThrows(ConfigException.class, () -> DataPreparer.prepare(config, "data"));
    }

    @Test
    void aJobFileBindsPathsAndInputObjectsAndTrainsAWordPiece() throws Exception {
        Path corpus = corpusDir();
        Path job = Files.writeString(dir.resolve("job.yaml"), String.join("\n",
                "data:",
                "  corpus:",
                "    - " + corpus.resolve("a-inaugural.txt"),
                "    - {path: " + corpus.resolve("b-sotu.jsonl") + ", text_field: text}",
                "  tokenizer: {type: wordpiece, vocab_size: 600, min_frequency: 2}",
                "  packing: per_example",
                "  seq_length: 40",
                "  cache_dir: " + dir.resolve("cache"),
                ""));
        PrepareJobConfig config = io.encoder4j.core.config.ConfigLoader.load(job, PrepareJobConfig.class, List.of());
        assertEquals("text", config.data().corpus().get(1).textField());
        PreparedCorpus p = DataPreparer.prepare(config.data(), "data");
        try (TextTokenizer wordPiece = TextTokenizer.load(p.tokenizerJson())) {
            assertEquals("WordPiece", wordPiece.modelType());
            assertEquals(600, wordPiece.vocabSize());
        }
        ConfigException typo = assertThrows(ConfigException.class, () -> io.encoder4j.core.config.ConfigLoader.load(
                job, PrepareJobConfig.class, List.of("data.packing=group_text")));
        assertTrue(typo.getMessage().contains("packing must be group_texts or per_example"), typo.getMessage());
    }

    @Test
    void wholeWordMaskingMasksEveryTokenOfAChosenWord() throws Exception {
        PrepareConfig base = config(List.of(CorpusInput.of(corpusDir().toString())), "group_texts", 64, 0.1f, false);
        PrepareConfig wwm = new PrepareConfig(base.corpus(), base.tokenizer(), base.packing(), base.seqLength(),
                base.validationFraction(), true, false, base.cacheDir(), base.rowsPerShard());
        PreparedCorpus p = DataPreparer.prepare(wwm, "data");
        assertTrue(p.wholeWordMasking());
        MlmMasker masker = p.masker(MaskingConfig.defaults(), tokenizer);
        boolean[] continues = tokenizer.continuesWord();
        try (ArrowShardReader train = p.openTrain()) {
            TokenBatch batch = p.trainBatches(train, 8, 1, tokenizer.padId()).batch(0);
            int[] ids = batch.inputIds();
            MaskedBatch masked = masker.mask(ids, 5);
            boolean[] chosen = new boolean[ids.length];
            for (long pos : masked.maskedPositions()) {
                chosen[(int) pos] = true;
            }
            int words = 0;
            for (int i = 1; i < ids.length; i++) {
                boolean sameWord = continues[ids[i]] && !tokenizer.isSpecial(ids[i - 1]);
                if (sameWord) {
                    assertEquals(chosen[i - 1], chosen[i], "a word split by masking at " + i);
                    words += chosen[i] ? 1 : 0;
                }
            }
            assertTrue(words > 0, "some multi-token word was masked");
        }
    }
}
