package io.encoder4j.training.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.attention.AttentionRegistry;
import io.encoder4j.training.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every registered attention mechanism trains: a few pretraining steps on real text lower the masked-LM loss. */
class AttentionTrainingTest {

    /** Settings that fit 32-token blocks; every registered type must be listed here. */
    static final Map<String, List<String>> SETTINGS = new TreeMap<>(Map.ofEntries(
            Map.entry("full", List.of()),
            Map.entry("blockwise", List.of("num_blocks=2")),
            Map.entry("sliding_window", List.of("window=8", "dilation=[1,2]")),
            Map.entry("global", List.of("window=8")),
            Map.entry("bigbird", List.of("block_size=4", "num_random_blocks=2")),
            Map.entry("linformer", List.of("projected_length=8")),
            Map.entry("nystrom", List.of("num_landmarks=8", "conv_kernel=3")),
            Map.entry("long_short", List.of("window=8", "rank=4")),
            Map.entry("linear", List.of()),
            Map.entry("performer", List.of("num_features=32", "redraw_interval=10")),
            Map.entry("rfa", List.of("num_features=32", "gate=true")),
            Map.entry("lsh", List.of("num_buckets=4", "chunk_size=8"))));

    @TempDir
    static Path dir;

    private static Path job;

    @BeforeAll
    static void writeJob() throws Exception {
        SharedCorpus.slice(dir.resolve("corpus/austen.txt"), 100_000);
        job = dir.resolve("tiny.yaml");
        Files.writeString(job, String.join("\n",
                "run: {name: tiny, output_dir: " + dir.resolve("runs") + "}",
                "data:",
                "  corpus: [" + dir.resolve("corpus") + "]",
                "  tokenizer: {vocab_size: 500}",
                "  seq_length: 32",
                "  validation_fraction: 0.1",
                "  cache_dir: " + dir.resolve("cache"),
                "model: {hidden_size: 32, num_layers: 2, num_heads: 2, intermediate_size: 64, dropout: 0.0}",
                "training: {batch_size: 8, max_steps: 30, learning_rate: 2.0e-3, warmup_steps: 3, log_every: 5,"
                        + " eval_every: 30, eval_batches: 2}",
                ""));
    }

    static List<String> types() {
        return new ArrayList<>(AttentionRegistry.names());
    }

    @ParameterizedTest
    @MethodSource("types")
    void fewStepsLowerTheLoss(String type) throws Exception {
        assertTrue(SETTINGS.containsKey(type), "no training settings for registered type " + type);
        List<String> args = new ArrayList<>(List.of("pretrain", job.toString(), "run.name=" + type,
                "model.attention.type=" + type, "model.attention.dropout=0"));
        SETTINGS.get(type).forEach(s -> args.add("model.attention." + s));
        assertTrains(type, args);
    }

    /**
     * Reversible layers (whose gradients come from TransformerEncoder.backward) with rotary positions and a chunked
     * feed-forward train through the pretraining loop.
     */
    @Test
    void reversibleRotaryLayersTrain() throws Exception {
        assertTrains("reversible", List.of("pretrain", job.toString(), "run.name=reversible", "model.pre_norm=true",
                "model.reversible=true", "model.position_encoding=rope", "model.feed_forward_chunk_size=8"));
    }

    private static void assertTrains(String type, List<String> args) throws Exception {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args.toArray(String[]::new));
        assertEquals(0, code, err.toString());
        List<Double> losses = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve("runs").resolve(type).resolve("metrics.jsonl"))) {
            JsonNode row = json.readTree(line);
            if (row.get("split").asText().equals("train")) {
                losses.add(row.get("loss").asDouble());
            }
        }
        assertTrue(losses.get(losses.size() - 1) < losses.get(0) - 0.25, type + ": " + losses);
    }

    @Test
    void attentionSettingsAreCheckedBeforeAnyDataIsPrepared() throws Exception {
        StringWriter err = new StringWriter();
        Path bad = Files.writeString(dir.resolve("bad.yaml"), Files.readString(job).replace(
                "dropout: 0.0}", "dropout: 0.0,\n  attention: {type: sliding_window, window: 64}}"));
        assertEquals(2, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "pretrain",
                bad.toString()));
        assertEquals("error: " + bad + ": line 9: model.attention.window 64 is larger than the maximum length 32\n",
                err.toString());
        StringWriter unknown = new StringWriter();
        assertEquals(2, Main.run(new PrintWriter(new StringWriter()), new PrintWriter(unknown, true), "pretrain",
                job.toString(), "model.attention.type=slidingwindow"));
        assertTrue(unknown.toString().startsWith("error: " + job + ": override 'model.attention.type=slidingwindow': "
                + "model.attention.type: unknown attention type 'slidingwindow' (did you mean 'sliding_window'?) "
                + "(known: "), unknown.toString());
        assertEquals(1, unknown.toString().lines().count());
    }
}
