package io.encoder4j.datasets.tasks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.sampling.BatchOrder;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassificationDatasetTest {

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

    private static ClassificationDataConfig sst2(Integer maxLength) {
        return new ClassificationDataConfig(TaskTesting.shared("classification/sst2/train.tsv").toString(),
                TaskTesting.shared("classification/sst2/dev.tsv").toString(), null, null, List.of("label", "text"),
                null, null, null, null, maxLength, null);
    }

    @Test
    void sst2IsReadFramedAndBatchedWithDynamicPadding() {
        ClassificationDataConfig config = sst2(48);
        List<ClassificationExample> train = ClassificationReader.read(Path.of(config.train()), config);
        assertEquals(6920, train.size());
        assertTrue(train.get(0).source().endsWith("train.tsv: line 1"), train.get(0).source());
        LabelMap labels = ClassificationDataset.labelMap(config, train);
        assertEquals(List.of("0", "1"), labels.names());

        ClassificationDataset ds = ClassificationDataset.encode(train, labels, tokenizer, config.maxLength());
        assertEquals(6920, ds.size());
        assertTrue(ds.truncatedCount() > 0 && ds.truncatedCount() < ds.size(), "truncated " + ds.truncatedCount());
        assertEquals(48, ds.maxLength());
        for (int row = 0; row < 200; row++) {
            int[] ids = ds.inputIds(row);
            assertEquals(tokenizer.bosId(), ids[0]);
            assertEquals(tokenizer.eosId(), ids[ids.length - 1]);
            int[] body = Arrays.copyOfRange(ids, 1, ids.length - 1);
            if (ids.length < 48) {
                // Byte-level BPE is lossless: the text comes back exactly.
                assertEquals(train.get(row).text(), tokenizer.decode(body));
            } else {
                assertArrayEquals(Arrays.copyOf(tokenizer.encode(train.get(row).text()), 46), body);
            }
            assertEquals(Integer.parseInt(train.get(row).label()), ds.label(row));
        }

        BatchOrder order = BatchOrder.training(ds.size(), 16, 7);
        for (long k = 0; k < 5; k++) {
            ClassificationBatch batch = ds.batch(order, k);
            assertEquals(16, batch.batchSize());
            int longest = 0;
            for (int i = 0; i < 16; i++) {
                int[] row = ds.inputIds((int) batch.rows()[i]);
                longest = Math.max(longest, row.length);
                for (int t = 0; t < batch.length(); t++) {
                    boolean real = t < row.length;
                    assertEquals(real ? row[t] : tokenizer.padId(), batch.inputIds()[i * batch.length() + t]);
                    assertEquals(real ? 1 : 0, batch.attentionMask()[i * batch.length() + t]);
                }
                assertEquals(ds.label((int) batch.rows()[i]), batch.labels()[i]);
            }
            assertEquals(longest, batch.length(), "padded to the longest row of the batch only");
        }

        // The validation file with the training label map.
        ClassificationDataset dev = ClassificationDataset.load(Path.of(config.validation()), config, labels, tokenizer);
        assertEquals(872, dev.size());
    }

    @Test
    void pairsAreFramedRobertaStyleAndTruncatedLongestFirst() throws Exception {
        Path file = Files.writeString(dir.resolve("pairs.jsonl"),
                "{\"premise\": \"A man is playing a guitar on the stage tonight.\", \"hypothesis\": \"Music.\", "
                        + "\"label\": \"entailment\"}\n"
                        + "{\"premise\": \"Short.\", \"hypothesis\": \"Also short.\", \"label\": \"neutral\"}\n");
        ClassificationDataConfig config = new ClassificationDataConfig(file.toString(), null, null, null, null,
                "premise", "hypothesis", null, null, 12, null);
        List<ClassificationExample> examples = ClassificationReader.read(file, config);
        ClassificationDataset ds = ClassificationDataset.encode(examples, ClassificationDataset.labelMap(config,
                examples), tokenizer, 12);
        int[] a = tokenizer.encode(examples.get(0).text());
        int[] b = tokenizer.encode(examples.get(0).textPair());
        assertTrue(a.length > 8 && b.length <= 4, a.length + " " + b.length);
        int s = tokenizer.bosId();
        int e = tokenizer.eosId();
        int[] expected = new int[12];
        int i = 0;
        expected[i++] = s;
        for (int t = 0; t < 8 - b.length; t++) {
            expected[i++] = a[t];
        }
        expected[i++] = e;
        expected[i++] = e;
        for (int t : b) {
            expected[i++] = t;
        }
        expected[i] = e;
        assertArrayEquals(expected, ds.inputIds(0));
        assertEquals(List.of("entailment", "neutral"), ds.labelMap().names());
        assertEquals(1, ds.label(1));
    }

    @Test
    void truncationSplitsTheBudgetAsHuggingFaceTokenizersDoes() {
        SequenceFraming f = new SequenceFraming(0, 2);
        // Lengths kept for (|a|, |b|, max_length): computed with tokenizers' LongestFirst rule.
        int[][] cases = {
            {3, 3, 9, 2, 3}, {1, 10, 9, 1, 4}, {10, 1, 9, 4, 1}, {4, 4, 10, 3, 3}, {2, 2, 10, 2, 2},
            {7, 2, 10, 4, 2}, {5, 9, 10, 3, 3}, {9, 5, 9, 3, 2}, {6, 6, 9, 2, 3}};
        for (int[] c : cases) {
            int[] out = f.pair(new int[c[0]], new int[c[1]], c[2]);
            assertEquals(c[3] + c[4] + 4, out.length, Arrays.toString(c));
            assertEquals(2, out[c[3] + 1], "first </s> after a's " + c[3] + " tokens: " + Arrays.toString(c));
            assertEquals(2, out[c[3] + 2]);
        }
    }

    @Test
    void longDocumentsAreClassifiedUpTo16kTokens() throws Exception {
        // The first 40 State of the Union addresses (1790-1829), party labels.
        List<String> lines = Files.readAllLines(TaskTesting.shared("long/sotu.jsonl")).subList(0, 40);
        Path file = Files.write(dir.resolve("sotu.jsonl"), lines);
        ClassificationDataConfig config = new ClassificationDataConfig(file.toString(), null, null, null, null,
                "text", null, "party", null, 16384, null);
        List<ClassificationExample> docs = ClassificationReader.read(file, config);
        LabelMap labels = ClassificationDataset.labelMap(config, docs);
        assertTrue(labels.contains("Federalist") && labels.contains("Democratic-Republican"), labels.toString());
        ClassificationDataset ds = ClassificationDataset.encode(docs, labels, tokenizer, 16384);
        assertTrue(ds.maxLength() > 8192 && ds.maxLength() <= 16384, "longest " + ds.maxLength());
        ClassificationBatch batch = ds.batch(new long[] {0, 1});
        assertEquals(Math.max(ds.inputIds(0).length, ds.inputIds(1).length), batch.length());
    }

    @Test
    void theConfigBindsFromSnakeCaseYamlAndNamesBadKeys() throws Exception {
        Path yaml = Files.writeString(dir.resolve("data.yaml"), String.join("\n",
                "train: ../shared/data/classification/sst2/train.tsv",
                "columns: [label, text]",
                "text_column: text",
                "max_length: 64",
                "skip_bad_rows: true",
                ""));
        ClassificationDataConfig config = io.encoder4j.core.config.ConfigLoader.load(yaml,
                ClassificationDataConfig.class, List.of());
        assertEquals(List.of("label", "text"), config.columns());
        assertEquals(64, config.maxLength());
        assertTrue(config.skipBadRows());
        ConfigException wrong = assertThrows(ConfigException.class, () -> io.encoder4j.core.config.ConfigLoader.load(
                yaml, ClassificationDataConfig.class, List.of("label_column=sentiment")));
        assertTrue(wrong.getMessage().contains("do not include 'sentiment'"), wrong.getMessage());
    }

    @Test
    void labelMapsRoundTripInHuggingFaceFieldsAndSortNumbersNumerically() throws Exception {
        LabelMap numeric = LabelMap.fromLabels(List.of("10", "2", "1", "2"));
        assertEquals(List.of("1", "2", "10"), numeric.names());
        LabelMap names = LabelMap.fromLabels(List.of("positive", "negative"));
        assertEquals(List.of("negative", "positive"), names.names());
        Path file = dir.resolve("model/labels.json");
        names.write(file);
        assertEquals(names, LabelMap.read(file));
        assertTrue(Files.readString(file).contains("\"id2label\""));
        ConfigException e = assertThrows(ConfigException.class, () -> names.id("neutral", "dev.tsv: line 4"));
        assertEquals("dev.tsv: line 4: unknown label 'neutral' (known labels: negative, positive)", e.getMessage());
    }

    @Test
    void missingAndUnknownLabelsNameTheFileAndLine() throws Exception {
        Path train = Files.writeString(dir.resolve("train.tsv"), "label\ttext\npos\tgood\nneg\tbad\n\tno label\n");
        ClassificationDataConfig config = new ClassificationDataConfig(train.toString(), null, null, null, null, null,
                null, null, null, 32, null);
        ConfigException missing = assertThrows(ConfigException.class, () -> ClassificationReader.read(train, config));
        assertTrue(missing.getMessage().startsWith(train + ": line 4: missing label ('label')"), missing.getMessage());

        ClassificationDataConfig skipping = new ClassificationDataConfig(train.toString(), null, null, null, null,
                null, null, null, null, 32, true);
        List<ClassificationExample> read = ClassificationReader.read(train, skipping);
        assertEquals(2, read.size());

        Path dev = Files.writeString(dir.resolve("dev.tsv"), "label\ttext\npos\tfine\nmaybe\thmm\n");
        LabelMap labels = ClassificationDataset.labelMap(config, read);
        ConfigException unknown = assertThrows(ConfigException.class,
                () -> ClassificationDataset.load(dev, config, labels, tokenizer));
        assertEquals(dev + ": line 3: unknown label 'maybe' (known labels: neg, pos)", unknown.getMessage());
    }
}
