package io.encoder4j.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.training.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench model} through the CLI on tiny presets and lengths: the report's structure, never its timings. */
class ModelBenchmarkTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int cli(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private void presets() throws Exception {
        Files.createDirectories(dir.resolve("models"));
        // A model file at base size: shrunk to the tiny size, its attention and positions kept.
        Files.writeString(dir.resolve("models/window-rope.yaml"), String.join("\n",
                "hidden_size: 768", "num_layers: 12", "num_heads: 12", "position_encoding: rope",
                "attention: {type: sliding_window, window: 8, dropout: 0.0}", ""));
        // A job file: its model section is the preset; an axial split of 768 that the tiny size replaces.
        Files.writeString(dir.resolve("models/lsh-axial.yaml"), String.join("\n",
                "run: {name: ignored}",
                "model:",
                "  hidden_size: 768",
                "  position_encoding: axial",
                "  axial_pos_embds_dim: [256, 512]",
                "  feed_forward_chunk_size: 8",
                "  attention: {type: lsh, chunk_size: 8, num_buckets: 4}", ""));
    }

    @Test
    void measuresEveryPresetVariantDepthAndLength() throws Exception {
        presets();
        Path report = dir.resolve("bench");
        int code = cli("bench", "model", "--presets", dir.resolve("models").toString() + "/*.yaml",
                "--lengths", "16", "--layers", "2", "--hidden", "16", "--heads", "2", "--vocab", "50",
                "--variants", "standard,reversible,reversible-stored", "--repeats", "1", "--out", report.toString());
        assertEquals(0, code, err.toString() + out);
        assertTrue(Files.readString(report.resolve(ModelBenchmark.MARKDOWN)).contains(ModelBenchmark.tableHeader()));

        JsonNode json = new ObjectMapper().readTree(report.resolve(ModelBenchmark.JSON).toFile());
        assertEquals(16, json.at("/settings/hidden").asInt());
        assertEquals("rope", json.at("/settings/presets/window-rope/config/position_encoding").asText());
        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode row : json.get("results")) {
            rows.put(row.get("preset").asText() + "/" + row.get("variant").asText() + "/" + row.get("layers").asInt()
                    + "@" + row.get("length").asInt(), row);
        }
        assertEquals(2 * 3, rows.size(), rows.keySet().toString());
        for (JsonNode row : rows.values()) {
            assertEquals("ok", row.get("status").asText(), row.toString());
            assertTrue(row.get("tokens_per_second").asDouble() > 0, row.toString());
            assertTrue(row.get("peak_mib").isNumber(), row.toString());
            assertEquals(1, row.get("times_ms").size(), row.toString());
        }
        for (String preset : new String[] {"window-rope", "lsh-axial"}) {
            for (int depth : new int[] {2}) {
                // The same model with and without recomputation; the standard one is post-LN (no final LayerNorm).
                long reversible = rows.get(preset + "/reversible/" + depth + "@16").get("parameters").asLong();
                long stored = rows.get(preset + "/reversible-stored/" + depth + "@16").get("parameters").asLong();
                long standard = rows.get(preset + "/standard/" + depth + "@16").get("parameters").asLong();
                assertEquals(reversible, stored);
                assertEquals(standard + 2 * 16, reversible, preset);
            }
        }
        // The tiny size replaced the preset's: 2 layers of width 16 are a few thousand parameters.
        assertTrue(rows.get("window-rope/standard/2@16").get("parameters").asLong() < 20_000);
    }

    @Test
    void missingPresetsAndBadPresetKeysAreOneLineErrors() throws Exception {
        assertEquals(2, cli("bench", "model", "--presets", dir.resolve("none").toString() + "/*.yaml",
                "--out", dir.resolve("b").toString()));
        assertTrue(err.toString().contains("--presets: no file matches"), err.toString());

        Path bad = Files.writeString(dir.resolve("bad.yaml"), "hidden_size: 64\nnum_layer: 2\n");
        assertEquals(2, cli("bench", "model", "--presets", bad.toString(), "--out", dir.resolve("b").toString()));
        assertTrue(err.toString().contains(bad + ": line 2: unknown key 'num_layer' (did you mean 'num_layers'?)"),
                err.toString());
    }
}
