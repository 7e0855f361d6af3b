package io.encoder4j.training.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.training.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench attention} through the CLI on tiny shapes: the report's structure, never its timings. */
class AttentionBenchmarkTest {

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int cli(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void measuresEveryMechanismAndLengthAndWritesTheReport() throws Exception {
        Path report = dir.resolve("bench");
        int code = cli("bench", "attention", "--lengths", "32,16,64", "--mechanisms", "sliding_window,full",
                "--hidden", "16", "--heads", "2", "--set", "sliding_window.window=4", "--repeats", "1",
                "--full-max-length", "32", "--out", report.toString());
        assertEquals(0, code, err.toString());

        for (String file : List.of(AttentionBenchmark.MARKDOWN, AttentionBenchmark.JSON)) {
            assertTrue(Files.size(report.resolve(file)) > 0, file);
        }
        for (String png : List.of(AttentionBenchmark.TIME_PLOT, AttentionBenchmark.MEMORY_PLOT)) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(report.resolve(png)), 4);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head, png);
        }

        JsonNode json = new ObjectMapper().readTree(report.resolve(AttentionBenchmark.JSON).toFile());
        assertEquals(4, json.at("/settings/configs/sliding_window/window").asInt());
        assertEquals(0.0, json.at("/settings/configs/sliding_window/dropout").asDouble());
        Map<String, JsonNode> rows = new HashMap<>();
        for (JsonNode row : json.get("results")) {
            rows.put(row.get("mechanism").asText() + "@" + row.get("length").asInt(), row);
        }
        assertEquals(6, rows.size(), rows.keySet().toString());
        for (String mechanism : List.of("full", "sliding_window")) {
            for (int n : new int[] {16, 32, 64}) {
                JsonNode row = rows.get(mechanism + "@" + n);
                assertTrue(row != null, mechanism + "@" + n);
                if (mechanism.equals("full") && n == 64) {
                    assertEquals("skipped", row.get("status").asText());
                    assertTrue(row.get("reason").asText().contains("--full-max-length 32"), row.toString());
                    assertTrue(row.get("ms").isNull() && row.get("time_ratio").isNull(), row.toString());
                    continue;
                }
                assertEquals("ok", row.get("status").asText(), row.toString());
                assertTrue(row.get("ms").asDouble() > 0, row.toString());
                assertEquals(1, row.get("times_ms").size());
                assertTrue(row.get("peak_mib").isNumber(), row.toString());
            }
        }
        for (int n : new int[] {16, 32}) {
            JsonNode full = rows.get("full@" + n);
            assertEquals(1.0, full.get("time_ratio").asDouble(), 0.0);
            // A zero peak (below the page-count resolution) has no ratio; any other peak is 1 against itself.
            assertTrue(full.get("memory_ratio").isNull() || full.get("memory_ratio").asDouble() == 1.0,
                    full.toString());
            JsonNode sliding = rows.get("sliding_window@" + n);
            assertEquals(sliding.get("ms").asDouble() / full.get("ms").asDouble(),
                    sliding.get("time_ratio").asDouble(), 1e-9);
        }
        assertTrue(rows.get("sliding_window@64").get("time_ratio").isNull(), "no ratio without full attention");

        String table = out.toString();
        assertTrue(table.contains("| mechanism | length |"), table);
        assertEquals(6, table.lines().filter(l -> l.startsWith("| full |") || l.startsWith("| sliding_window |"))
                .count(), table);
        String markdown = Files.readString(report.resolve(AttentionBenchmark.MARKDOWN));
        assertTrue(markdown.contains("| sliding_window | 64 |")
                && (markdown.contains("VmHWM") || markdown.contains("VmRSS")), markdown);
    }

    @Test
    void unknownMechanismIsAOneLineUserError() {
        Path report = dir.resolve("never");
        assertEquals(2, cli("bench", "attention", "--mechanisms", "full,sliding_windw", "--out", report.toString()));
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains("unknown attention mechanism 'sliding_windw'")
                && message.contains("did you mean 'sliding_window'") && message.contains("known: ")
                && message.contains(" full,"), message);
        assertFalse(Files.exists(report));
    }

    @Test
    void badSettingsAreOneLineUserErrorsNamingTheSetting() throws Exception {
        assertUserError("windw", "--set", "sliding_window.windw=4");
        assertUserError("window does not apply to attention type 'full'", "--set", "full.window=4");
        assertUserError("window must be an even number", "--set", "sliding_window.window=5");
        assertUserError("expected TYPE.KEY=VALUE", "--set", "window=4");
        assertUserError("window 256 is larger than the maximum length 64", "--lengths", "64,128",
                "--mechanisms", "sliding_window");
        assertUserError("--hidden 30 must be divisible by --heads 4", "--hidden", "30");
        Path file = Files.writeString(dir.resolve("a-file"), "mine");
        assertUserError(file + " exists and is not a directory", "--lengths", "16", "--hidden", "16",
                "--mechanisms", "full,sliding_window", "--set", "sliding_window.window=4", "--out", file.toString());
        assertEquals("mine", Files.readString(file));
    }

    private void assertUserError(String expected, String... options) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        String[] args = new String[options.length + 2];
        args[0] = "bench";
        args[1] = "attention";
        System.arraycopy(options, 0, args, 2, options.length);
        assertEquals(2, cli(args), err.toString());
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains(expected), message);
    }

    @Test
    void peakMemorySeesANativeAllocation() {
        PeakMemory memory = PeakMemory.detect();
        assumeTrue(memory.method() != PeakMemory.Method.NONE, "no /proc/self/status here");
        long bytes = 48L << 20;
        long peak;
        try (NDManager manager = NDManager.newBaseManager()) {
            peak = memory.measure(() -> {
                try (NDManager step = manager.newSubManager()) {
                    step.ones(new Shape(bytes / 4)).sum().getFloat();
                }
            });
        }
        assertTrue(peak >= bytes * 9 / 10, "peak " + peak + " for a " + bytes + "-byte array");
    }
}
