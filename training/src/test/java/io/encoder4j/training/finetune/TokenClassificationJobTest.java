package io.encoder4j.training.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.datasets.tasks.tagging.TaggedExample;
import io.encoder4j.datasets.tasks.tagging.TaggedReader;
import io.encoder4j.datasets.tasks.tagging.TokenClassificationFeatures;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import io.encoder4j.training.finetune.FinetuneJobTest.Cli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token classification end to end through the CLI (finetune, evaluate, predict) on the hand-tagged inaugural-address
 * sentences of {@code src/test/resources/ner}, from a tiny model pretrained here; the word to sub-word alignment; and
 * the messages of bad tagged input.
 */
class TokenClassificationJobTest {

    @TempDir
    static Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path pretrained;
    private static Path conll;

    @BeforeAll
    static void pretrain() throws Exception {
        String text = Files.readString(FinetuneJobTest.shared("corpus/inaugural.txt"), StandardCharsets.UTF_8);
        Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(dir.resolve("corpus/slice.txt"), text.substring(0, text.indexOf('\n', 120_000) + 1));
        Path job = dir.resolve("pretrain.yaml");
        Files.writeString(job, String.join("\n",
                "run: {name: tiny, output_dir: " + dir.resolve("runs") + "}",
                "data:",
                "  corpus: [" + dir.resolve("corpus") + "]",
                "  tokenizer: {vocab_size: 500}",
                "  seq_length: 32",
                "  validation_fraction: 0.1",
                "  cache_dir: " + dir.resolve("cache"),
                "model: {hidden_size: 32, num_layers: 2, num_heads: 2, intermediate_size: 64}",
                "training: {batch_size: 8, max_steps: 4, warmup_steps: 2, log_every: 2, eval_every: 4, "
                        + "eval_batches: 1}",
                ""));
        Cli c = FinetuneJobTest.cli("pretrain", job.toString());
        assertEquals(0, c.code(), c.err());
        pretrained = dir.resolve("runs/tiny/model");
        conll = Path.of(TokenClassificationJobTest.class.getResource("/ner/inaugural-ner.conll").toURI());
    }

    static Path job(String name, String train) throws Exception {
        return job(name, "data: {train: " + train + ", validation_fraction: 0.25, max_length: 32}", true);
    }

    static Path job(String name, String data, boolean unused) throws Exception {
        Path job = dir.resolve(name + ".yaml");
        List<String> lines = new ArrayList<>(List.of(
                "task: token_classification",
                "run: {name: " + name + ", output_dir: " + dir.resolve("runs") + "}",
                "model: {pretrained: " + pretrained + "}",
                data,
                "training: {batch_size: 8, max_steps: 40, learning_rate: 3.0e-3, schedule: constant, warmup_steps: 1, "
                        + "log_every: 20, eval_every: 20, save_every: 40}"));
        Files.writeString(job, String.join("\n", lines) + "\n");
        return job;
    }

    @Test
    void finetunesEvaluatesAndPredicts() throws Exception {
        Path job = job("ner", conll.toString());
        Cli c = FinetuneJobTest.cli("finetune", job.toString());
        assertEquals(0, c.code(), c.err());
        Path run = dir.resolve("runs/ner");
        assertEquals("token_classification",
                JSON.readTree(run.resolve("model/model.json").toFile()).get("head").get("type").asText());
        List<String> tags = LabelMap.read(run.resolve("model/labels.json")).names();
        assertEquals(List.of("B-LOC", "B-MISC", "B-ORG", "B-PER", "I-LOC", "I-MISC", "I-ORG", "I-PER", "O"), tags);
        List<JsonNode> evals = FinetuneJobTest.evals(run);
        assertEquals(2, evals.size());
        JsonNode last = evals.get(1);
        for (String m : List.of("accuracy", "precision", "recall", "f1")) {
            assertTrue(last.has(m), last.toString());
        }
        // 40 steps on 32 sentences learn at least the many O words: better than chance over 9 tags.
        assertTrue(last.get("accuracy").asDouble() > 0.5, last.toString());

        Path metrics = dir.resolve("eval.json");
        Cli e = FinetuneJobTest.cli("evaluate", run.resolve("model").toString(), job.toString(), "--out",
                metrics.toString());
        assertEquals(0, e.code(), e.err());
        JsonNode m = JSON.readTree(metrics.toFile());
        assertEquals(last.get("accuracy").asDouble(), m.get("accuracy").asDouble(), 1e-12);
        assertEquals(last.get("f1").asDouble(), m.get("f1").asDouble(), 1e-12);
        assertEquals(11, m.get("examples").asInt()); // ceil(0.25 * 42) held out

        Path preds = dir.resolve("preds.jsonl");
        Cli p = FinetuneJobTest.cli("predict", run.resolve("model").toString(), conll.toString(), "--out",
                preds.toString());
        assertEquals(0, p.code(), p.err());
        List<String> lines = Files.readAllLines(preds);
        List<TaggedExample> gold = TaggedReader.read(conll, "tokens", "tags", true);
        assertEquals(gold.size(), lines.size());
        long words = 0;
        long right = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode row = JSON.readTree(lines.get(i));
            assertEquals(gold.get(i).words().size(), row.get("tokens").size());
            assertEquals(gold.get(i).words().size(), row.get("tags").size());
            assertEquals(gold.get(i).words().get(0), row.get("tokens").get(0).asText());
            for (int w = 0; w < row.get("tags").size(); w++) {
                assertTrue(tags.contains(row.get("tags").get(w).asText()));
                words++;
                right += row.get("tags").get(w).asText().equals(gold.get(i).tags().get(w)) ? 1 : 0;
            }
        }
        assertTrue((double) right / words > 0.5, right + " / " + words);
    }

    @Test
    void firstSubwordCarriesTheTagTheRestAreIgnored() throws Exception {
        try (TextTokenizer tokenizer = TextTokenizer.load(pretrained.resolve("tokenizer.json"))) {
            List<String> words = List.of("Abraham", "Lincoln", "spoke", "to", "Congress");
            List<String> tags = List.of("B-PER", "I-PER", "O", "O", "B-ORG");
            LabelMap labels = LabelMap.fromLabels(tags);
            TokenClassificationFeatures f = TokenClassificationFeatures.encode(
                    List.of(new TaggedExample(words, tags, "test")), labels, tokenizer, 64);
            List<Integer> expectedIds = new ArrayList<>();
            List<Integer> expectedLabels = new ArrayList<>();
            expectedIds.add(tokenizer.bosId());
            expectedLabels.add(-100);
            for (int i = 0; i < words.size(); i++) {
                int[] w = tokenizer.encode(i == 0 ? words.get(i) : " " + words.get(i));
                for (int j = 0; j < w.length; j++) {
                    expectedIds.add(w[j]);
                    expectedLabels.add(j == 0 ? labels.id(tags.get(i), "test") : -100);
                }
            }
            expectedIds.add(tokenizer.eosId());
            expectedLabels.add(-100);
            // The same ids as the whole sentence encoded at once: byte-level BPE sees each later word with its space.
            int[] whole = tokenizer.encode(String.join(" ", words));
            assertArrayEquals(whole, java.util.Arrays.copyOfRange(f.inputIds(0), 1, f.inputIds(0).length - 1));
            assertArrayEquals(expectedIds.stream().mapToInt(Integer::intValue).toArray(), f.inputIds(0));
            assertArrayEquals(expectedLabels.stream().mapToInt(Integer::intValue).toArray(), f.labels(0));
            assertTrue(whole.length > words.size(), "some word splits into several sub-words");

            // Truncated: the words cut off have no position; padding in a batch is -100.
            TokenClassificationFeatures cut = TokenClassificationFeatures.encode(
                    List.of(new TaggedExample(words, tags, "test"), new TaggedExample(List.of("a"), List.of("O"),
                            "test")), labels, tokenizer, 4);
            assertEquals(4, cut.inputIds(0).length);
            assertEquals(-1, cut.wordStarts(0)[4]);
            TokenClassificationFeatures.Batch b = cut.batch(new long[] {1, 0});
            int pad = cut.inputIds(1).length; // first padding position of the shorter row
            assertTrue(pad < 4);
            assertEquals(-100, b.labels()[pad]);
            assertEquals(0f, b.mask()[pad]);
        }
    }

    @Test
    void badTaggedInputIsOneLine() throws Exception {
        Path bad = dir.resolve("bad.conll");
        Files.writeString(bad, "In O\nTexas\n");
        Cli c = FinetuneJobTest.cli("finetune", job("bad", bad.toString()).toString());
        assertEquals(2, c.code(), c.err());
        assertTrue(c.err().contains(bad + ": line 2: 'Texas' has no tag"), c.err());

        Path train = dir.resolve("t.conll");
        Files.writeString(train, "In O\nTexas B-LOC\n");
        Path validation = dir.resolve("v.conll");
        Files.writeString(validation, "\nGeorge B-PER\n");
        c = FinetuneJobTest.cli("finetune", job("unknown", "data: {train: " + train
                + ", validation: " + validation + ", max_length: 32}", true).toString());
        assertEquals(2, c.code(), c.err());
        assertTrue(c.err().contains(validation + ": line 2 (word 1 'George'): unknown label 'B-PER'"), c.err());
    }
}
