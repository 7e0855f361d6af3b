package io.encoder4j.training.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.training.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pretrain command end to end on real text, through the CLI entry point. */
class PretrainJobTest {

    @TempDir
    static Path dir;

    private static Path job;

    @BeforeAll
    static void writeJob() throws Exception {
        SharedCorpus.slice(dir.resolve("corpus/austen.txt"), 200_000);
        job = dir.resolve("tiny.yaml");
        Files.writeString(job, String.join("\n",
                "run:",
                "  name: tiny",
                "  output_dir: " + dir.resolve("runs"),
                "data:",
                "  corpus: [" + dir.resolve("corpus") + "]",
                "  tokenizer: {vocab_size: 600}",
                "  seq_length: 32",
                "  validation_fraction: 0.1",
                "  cache_dir: " + dir.resolve("cache"),
                "model: {hidden_size: 32, num_layers: 2, num_heads: 2, intermediate_size: 64}",
                "training:",
                "  batch_size: 8",
                "  max_steps: 40",
                "  learning_rate: 2.0e-3",
                "  warmup_steps: 4",
                "  log_every: 5",
                "  eval_every: 20",
                "  eval_batches: 4",
                ""));
    }

    private static int cli(StringWriter err, String... args) {
        return Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
    }

    @Test
    void writesTheRunDirectoryAndRefusesToOverwriteIt() throws Exception {
        StringWriter err = new StringWriter();
        assertEquals(0, cli(err, "pretrain", job.toString()), err.toString());
        Path run = dir.resolve("runs/tiny");
        String config = Files.readString(run.resolve("config.yaml"));
        assertTrue(config.contains("vocab_size: 600"), config);
        assertTrue(config.contains("max_position_embeddings: 34"), config);

        ObjectMapper json = new ObjectMapper();
        List<JsonNode> train = new ArrayList<>();
        List<JsonNode> eval = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode row = json.readTree(line);
            (row.get("split").asText().equals("train") ? train : eval).add(row);
        }
        assertEquals(8, train.size());
        assertEquals(2, eval.size());
        for (JsonNode row : train) {
            assertTrue(row.has("step") && row.has("loss") && row.has("lr"), row.toString());
        }
        assertTrue(eval.get(1).get("accuracy").asDouble() > 0, eval.get(1).toString());
        assertTrue(train.get(7).get("loss").asDouble() < train.get(0).get("loss").asDouble() - 0.5,
                "training should lower the loss: " + train);
        // No memory growth: the arrays alive between steps are the same at every logging step.
        for (JsonNode row : train.subList(1, train.size())) {
            assertEquals(train.get(0).get("native_arrays").asInt(), row.get("native_arrays").asInt(), row.toString());
        }
        for (String f : List.of("model/model.json", "model/model.params", "model/tokenizer.json", "summary.json")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        byte[] png = Files.readAllBytes(run.resolve("loss.png"));
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));

        byte[] metricsBefore = Files.readAllBytes(run.resolve("metrics.jsonl"));
        StringWriter again = new StringWriter();
        assertEquals(2, cli(again, "pretrain", job.toString()));
        assertEquals("error: " + job + ": run.name: " + run + " already exists; choose another run.name or set "
                + "run.overwrite=true to replace its outputs\n", again.toString());
        assertArrayEquals(metricsBefore, Files.readAllBytes(run.resolve("metrics.jsonl")));

        StringWriter overwritten = new StringWriter();
        assertEquals(0, cli(overwritten, "pretrain", job.toString(), "run.overwrite=true", "training.max_steps=5",
                "training.log_every=5"), overwritten.toString());
        assertEquals(2, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    }

    @Test
    void badInputIsOneLineNamingFileAndKey() throws Exception {
        String file = job.toString();
        assertError("error: " + file + ": data.corpus: corpus path 'missing/dir' does not exist",
                "data.corpus=[missing/dir]");
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        assertError("error: " + file + ": data.corpus: the corpus is empty", "data.corpus=[" + empty + "]");
        Path notTokenizer = Files.writeString(dir.resolve("not-a-tokenizer.json"), "{\"model\": {}}");
        assertError("error: " + file + ": data.tokenizer: ", "data.tokenizer.path=" + notTokenizer);
        assertError("error: " + file + ": override 'training.batch_sise=4': unknown key 'training.batch_sise' "
                + "(did you mean 'batch_size'?)", "training.batch_sise=4");
        Path typo = Files.writeString(dir.resolve("typo.yaml"), Files.readString(job)
                .replace("  log_every: 5", "  log_evry: 5"));
        StringWriter err = new StringWriter();
        assertEquals(2, cli(err, "pretrain", typo.toString()));
        assertTrue(err.toString().startsWith("error: " + typo + ": line 16: unknown key 'training.log_evry' "
                + "(did you mean 'log_every'?)"), err.toString());
        assertError("error: " + file + ": override 'training.max_steps=lots': training.max_steps: expected an "
                + "integer, got 'lots'", "training.max_steps=lots");
        assertError("error: " + file + ": override 'model.hidden_size=0': model.hidden_size must be a positive "
                + "integer, got 0", "model.hidden_size=0");
    }

    private static void assertError(String expectedStart, String override) {
        StringWriter err = new StringWriter();
        int code = cli(err, "pretrain", job.toString(), "run.name=bad", override);
        String out = err.toString();
        assertEquals(2, code, out);
        assertTrue(out.startsWith(expectedStart), "got: " + out);
        assertEquals(1, out.lines().count(), "one line, no stack trace: " + out);
    }
}
