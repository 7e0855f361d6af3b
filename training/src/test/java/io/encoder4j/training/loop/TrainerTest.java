package io.encoder4j.training.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.training.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine on a small regression task: accumulation, skipped steps, stopping, best checkpoints, disk errors. */
class TrainerTest {

    @TempDir
    Path dir;

    private RegressionRuns runs;
    private NDManager manager;

    @BeforeEach
    void setUp() {
        runs = new RegressionRuns(dir, "max_steps: 20\nlearning_rate: 0.05\nwarmup_steps: 2\nlog_every: 5\neval_every: 10\n"
                + "device: cpu\n");
        manager = runs.manager();
    }

    @AfterEach
    void tearDown() throws IOException {
        runs.close();
    }

    private TrainingConfig config(String... overrides) throws IOException {
        return runs.config(overrides);
    }

    private Trainer<RegressionTask.Batch> trainer(RegressionTask task, String name, TrainingConfig config)
            throws IOException {
        return runs.trainer(task, name, config);
    }

    private Path run(String name) {
        return runs.run(name);
    }

    private static List<JsonNode> rows(Path run, String split) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS))) {
            JsonNode row = json.readTree(line);
            if (row.get("split").asText().equals(split)) {
                out.add(row);
            }
        }
        return out;
    }

    @Test
    void microBatchesOfDifferentSizesGiveTheGradientOfOneBatch() throws Exception {
        RegressionTask whole = new RegressionTask(manager, 3, 12);
        RegressionTask split = new RegressionTask(manager, 3, 2, 4, 6);
        assertArrayEquals(whole.weights(), split.weights());
        Trainer<RegressionTask.Batch> a = trainer(whole, "whole", config());
        Trainer<RegressionTask.Batch> b = trainer(split, "split", config("gradient_accumulation_steps=3"));
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            float lossWhole = a.accumulate(whole.microBatches(0), manager).getFloat();
            float lossSplit = b.accumulate(split.microBatches(0), manager).getFloat();
            assertEquals(lossWhole, lossSplit, 1e-5 * Math.abs(lossWhole));
            for (String p : List.of("weight", "bias")) {
                NDArray gw = whole.parameters().get(p).getArray().getGradient();
                NDArray gs = split.parameters().get(p).getArray().getGradient();
                float[] x = gw.toFloatArray();
                float[] y = gs.toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(x[i], y[i], 1e-5, p + "[" + i + "]");
                }
            }
        }
        // Whole runs: the same weights after 20 steps of each.
        RegressionTask wholeRun = new RegressionTask(manager, 3, 12);
        RegressionTask splitRun = new RegressionTask(manager, 3, 2, 4, 6);
        trainer(wholeRun, "whole-run", config()).train();
        trainer(splitRun, "split-run", config("gradient_accumulation_steps=3")).train();
        float[] w1 = wholeRun.weights();
        float[] w2 = splitRun.weights();
        for (int i = 0; i < w1.length; i++) {
            assertEquals(w1[i], w2[i], 1e-5, "parameter " + i);
        }
    }

    @Test
    void nonFiniteStepsAreSkippedCountedAndTrainingGoesOn() throws Exception {
        RegressionTask task = new RegressionTask(manager, 3, 8).nanLossAt(Set.of(3L)).infiniteGradientAt(Set.of(6L));
        TrainingResult result = trainer(task, "skips", config("max_steps=60", "learning_rate=0.1", "log_every=30",
                "eval_every=60")).train();
        assertEquals(2, result.skippedSteps());
        List<JsonNode> train = rows(run("skips"), "train");
        assertEquals(2, train.get(0).get("skipped_steps").asLong());
        assertEquals(2, train.get(1).get("skipped_steps").asLong());
        for (JsonNode row : train) {
            assertTrue(Double.isFinite(row.get("loss").asDouble()), row.toString());
        }
        for (float w : task.weights()) {
            assertTrue(Float.isFinite(w));
        }
        assertTrue(result.finalMetric("loss") < 0.01, "the model still learns: " + result.finalEvaluation());
    }

    @Test
    void tooManyNonFiniteStepsInARowStopWithTheLastGoodWeightsSaved() throws Exception {
        Set<Long> diverged = LongStream.range(10, 30).boxed().collect(java.util.stream.Collectors.toSet());
        RegressionTask task = new RegressionTask(manager, 3, 8).nanLossAt(diverged);
        Trainer<RegressionTask.Batch> trainer = trainer(task, "diverged",
                config("max_steps=30", "save_every=10", "max_consecutive_nonfinite=3"));
        ConfigException e = assertThrows(ConfigException.class, trainer::train);
        Path checkpoints = run("diverged").resolve(RunDirectory.CHECKPOINTS);
        // Detected at the first sync point after the limit (logging at step 15), without a sync per step.
        assertTrue(e.getMessage().startsWith("training: 3 steps in a row had a non-finite loss or gradient (5 skipped "
                + "in all); stopped at step 15 with the last good weights in " + checkpoints.resolve("step-000015")
                + "; lower training.learning_rate (0.05) or raise training.warmup_steps (2)"), e.getMessage());
        // The weights saved at step 15 are those of step 10, the last good state, bit for bit.
        assertArrayEquals(Files.readAllBytes(checkpoints.resolve("step-000010/model/regression.params")),
                Files.readAllBytes(checkpoints.resolve("step-000015/model/regression.params")));
        TrainerState state = Trainer.readState(checkpoints.resolve("step-000015"));
        assertEquals(10, state.appliedUpdates());
        assertEquals(5, state.skippedSteps());
    }

    @Test
    void earlyStoppingKeepsTheBestCheckpointAndCanEndWithIt() throws Exception {
        RegressionTask task = new RegressionTask(manager, 3, 8).scores(List.of(0.5, 0.7, 0.6, 0.65, 0.69, 0.9));
        TrainingResult result = trainer(task, "early", config("max_steps=100", "eval_every=5", "save_every=5",
                "save_total_limit=1", "best_metric=score", "early_stopping_patience=3", "load_best_at_end=true"))
                .train();
        assertEquals("early_stopping", result.stopReason());
        assertEquals(25, result.steps());
        assertEquals(0.7, result.bestValue());
        assertEquals(10, result.bestStep());
        Path checkpoints = run("early").resolve(RunDirectory.CHECKPOINTS);
        // The newest checkpoint and the best one survive rotation.
        assertEquals(List.of(checkpoints.resolve("step-000010"), checkpoints.resolve("step-000025")),
                new CheckpointStore(checkpoints, FileSink.FILES).list());
        assertArrayEquals(Files.readAllBytes(checkpoints.resolve("step-000010/model/regression.params")),
                Files.readAllBytes(run("early").resolve("model/regression.params")));
        JsonNode summary = new ObjectMapper().readTree(run("early").resolve(RunDirectory.SUMMARY).toFile());
        assertEquals("early_stopping", summary.get("stop_reason").asText());
        assertEquals("checkpoints/step-000010", summary.get("best_checkpoint").asText());
        assertEquals(0.7, summary.get("best_value").asDouble());
        assertTrue(Files.isRegularFile(run("early").resolve("score.png")));
        assertTrue(Files.isRegularFile(run("early").resolve("loss.png")));
        assertEquals(5, rows(run("early"), "eval").size());
    }

    @Test
    void anUnknownBestMetricIsOneLineWithASuggestion() throws Exception {
        RegressionTask task = new RegressionTask(manager, 3, 8);
        ConfigException e = assertThrows(ConfigException.class,
                () -> trainer(task, "bad-metric", config("best_metric=scor")));
        assertEquals("training.best_metric: regression reports no metric 'scor' (did you mean 'score'?); known: loss, "
                + "score", e.getMessage());
    }

    @Test
    void aFullDiskKeepsThePreviousCheckpointAndTheRunResumesExactly() throws Exception {
        // Reference: 20 uninterrupted steps.
        RegressionTask reference = new RegressionTask(manager, 3, 8);
        trainer(reference, "reference", config("save_every=5")).train();

        // The second checkpoint's optimizer state meets a full disk.
        AtomicInteger optimizerFiles = new AtomicInteger();
        FileSink full = file -> {
            if (file.getFileName().toString().equals(Trainer.OPTIMIZER) && optimizerFiles.incrementAndGet() == 2) {
                throw new IOException("No space left on device");
            }
            return FileSink.FILES.create(file);
        };
        RegressionTask task = new RegressionTask(manager, 3, 8);
        Trainer<RegressionTask.Batch> trainer = trainer(task, "full", config("save_every=5")).withFileSink(full);
        ConfigException e = assertThrows(ConfigException.class, trainer::train);
        Path checkpoints = run("full").resolve(RunDirectory.CHECKPOINTS);
        assertEquals("cannot write checkpoint " + checkpoints.resolve("step-000010") + ": No space left on device; the "
                + "previous checkpoint " + checkpoints.resolve("step-000005") + " is intact (free disk space, then "
                + "continue with: encoder4j resume " + run("full") + ")", e.getMessage());
        try (var listing = Files.list(checkpoints)) {
            assertEquals(List.of("step-000005"), listing.map(p -> p.getFileName().toString()).toList());
        }
        assertEquals(5, Trainer.readState(checkpoints.resolve("step-000005")).step());

        // Resume from step 5 in a new process-like setting: a fresh task loads the checkpoint's weights.
        RegressionTask resumed = new RegressionTask(manager, 3, 8);
        resumed.loadModel(checkpoints.resolve("step-000005/model"));
        runs.reopened(resumed, "full", config("save_every=5")).resume(checkpoints.resolve("step-000005"));
        assertArrayEquals(reference.weights(), resumed.weights());
        List<JsonNode> a = rows(run("reference"), "train");
        List<JsonNode> b = rows(run("full"), "train");
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("loss"), b.get(i).get("loss"));
            assertEquals(a.get(i).get("grad_norm"), b.get(i).get("grad_norm"));
            assertEquals(a.get(i).get("lr"), b.get(i).get("lr"));
        }
        assertFalse(Files.exists(checkpoints.resolve("step-000005")), "rotated out by the later ones");
    }
}
