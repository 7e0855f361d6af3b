package io.encoder4j.training.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.training.cli.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exact resume, end to end with a real process kill: a pretraining run in a child JVM is killed with SIGKILL after it
 * has written a checkpoint, {@code encoder4j resume} continues it in another JVM, and the final weights and every
 * logged loss equal those of an uninterrupted run, bit for bit (CPU). Dropout is on, so the per-step seeding of the
 * engine's generator is exercised too.
 */
class KillAndResumeTest {

    @TempDir
    static Path dir;

    private static Path job;

    @BeforeAll
    static void writeJob() throws Exception {
        List<String> lines = new ArrayList<>(List.of("run: {output_dir: " + dir.resolve("runs") + "}"));
        lines.addAll(SharedCorpus.tinyData(dir, 120_000, 500));
        lines.addAll(List.of(
                "model: {hidden_size: 32, num_layers: 2, num_heads: 2, intermediate_size: 64, dropout: 0.1}",
                "training:",
                "  batch_size: 8",
                "  gradient_accumulation_steps: 2",
                "  max_steps: 40",
                "  learning_rate: 2.0e-3",
                "  warmup_steps: 4",
                "  log_every: 3",
                "  eval_every: 10",
                "  eval_batches: 2",
                "  save_every: 5",
                "  device: cpu",
                ""));
        job = Files.writeString(dir.resolve("resume.yaml"), String.join("\n", lines));
    }

    /** A child JVM running the CLI, with the flags of bin/encoder4j and one PyTorch thread in every run. */
    private static Process start(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-Djava.awt.headless=true", "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void finish(Process p, Path log) throws Exception {
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "timed out: " + Files.readString(log));
        assertEquals(0, p.exitValue(), Files.readString(log));
    }

    private static List<JsonNode> rows(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            out.add(json.readTree(line));
        }
        return out;
    }

    @Test
    void aRunKilledAfterACheckpointResumesToTheSameWeightsAndLosses() throws Exception {
        Path reference = dir.resolve("runs/reference");
        Path killed = dir.resolve("runs/killed");
        Path referenceLog = dir.resolve("reference.log");
        finish(start(referenceLog, "pretrain", job.toString(), "run.name=reference"), referenceLog);

        Path killedLog = dir.resolve("killed.log");
        Process victim = start(killedLog, "pretrain", job.toString(), "run.name=killed");
        Path checkpoint = killed.resolve("checkpoints/step-000015");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!Files.isDirectory(checkpoint)) {
            assertTrue(victim.isAlive(), "the run ended before its checkpoint: " + Files.readString(killedLog));
            assertTrue(System.nanoTime() < deadline, "no checkpoint: " + Files.readString(killedLog));
            Thread.sleep(20);
        }
        victim.destroyForcibly();
        assertTrue(victim.waitFor(1, TimeUnit.MINUTES));
        assertEquals(128 + 9, victim.exitValue(), "killed by SIGKILL");
        assertFalse(Files.exists(killed.resolve("summary.json")), "the killed run did not finish");

        Path resumeLog = dir.resolve("resume.log");
        finish(start(resumeLog, "resume", killed.toString()), resumeLog);
        String resumed = Files.readString(resumeLog);
        assertTrue(resumed.contains("Resuming " + killed + " from " + killed.resolve("checkpoints/step-0000")),
                resumed);

        assertArrayEquals(Files.readAllBytes(reference.resolve("model/model.params")),
                Files.readAllBytes(killed.resolve("model/model.params")), "final weights");
        assertArrayEquals(Files.readAllBytes(reference.resolve("checkpoints/step-000040/optimizer.safetensors")),
                Files.readAllBytes(killed.resolve("checkpoints/step-000040/optimizer.safetensors")), "optimizer");
        List<JsonNode> expected = rows(reference);
        List<JsonNode> actual = rows(killed);
        assertEquals(expected.size(), actual.size(), "one row per logged step, none repeated");
        for (int i = 0; i < expected.size(); i++) {
            for (String key : List.of("step", "split", "loss", "lr", "grad_norm", "skipped_steps", "accuracy",
                    "perplexity")) {
                assertEquals(expected.get(i).get(key), actual.get(i).get(key), key + " of row " + i);
            }
        }
        // TensorBoard: the resumed run writes a second event file that supersedes the killed run's tail.
        try (var files = Files.list(killed.resolve("tb"))) {
            assertEquals(2, files.count());
        }
    }
}
