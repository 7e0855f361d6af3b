package io.encoder4j.training.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.training.optim.LossScale;
import io.encoder4j.training.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code precision: fp16} on the CPU (PyTorch's CPU FP16 kernels, slow but exact to FP16 rounding): FP16 gradients
 * unscaled into FP32 against FP32 ones, the loss scale's back-off and growth in a real run, FP32 checkpoints, exact
 * resume.
 */
class MixedPrecisionTest {

    @TempDir
    Path dir;

    private RegressionRuns runs;
    private NDManager manager;

    @BeforeEach
    void setUp() {
        runs = new RegressionRuns(dir, "max_steps: 20\nlearning_rate: 0.05\nwarmup_steps: 2\nlog_every: 1\neval_every: 10\n"
                + "device: cpu\ninitial_loss_scale: 64\nloss_scale_growth_interval: 4\n");
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

    private static List<JsonNode> trainRows(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunDirectory.METRICS))) {
            JsonNode row = json.readTree(line);
            if (row.get("split").asText().equals("train")) {
                out.add(row);
            }
        }
        return out;
    }

    private static float[] gradient(RegressionTask task, String name) {
        NDArray g = task.parameters().get(name).getArray().getGradient();
        return g.toType(DataType.FLOAT32, false).toFloatArray();
    }

    @Test
    void unscaledFp16GradientsEqualFp32OnesToFp16Rounding() {
        RegressionTask fp32 = new RegressionTask(manager, 3, 16);
        RegressionTask fp16 = new RegressionTask(manager, 3, 16);
        float[] before = fp16.weights();
        RegressionTask.Batch batch = fp32.microBatches(0).get(0);
        try (NDScope scope = new NDScope();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            collector.backward(fp32.loss(batch));
        }
        float[] weight32 = gradient(fp32, "weight");
        float[] bias32 = gradient(fp32, "bias");
        try (MixedPrecision mixed = new MixedPrecision(fp16.parameters(), manager)) {
            assertEquals(DataType.FLOAT16, fp16.parameters().get("weight").getArray().getDataType());
            assertEquals(DataType.FLOAT32, mixed.masters().get("weight").getDataType());
            assertArrayEquals(java.util.Arrays.copyOf(before, RegressionTask.FEATURES),
                    mixed.masters().get("weight").toFloatArray(), "the masters are the FP32 weights, exactly");
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                float scale = 1024;
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = fp16.loss(batch);
                    assertEquals(DataType.FLOAT32, loss.getDataType(), "the FP32 target upcasts the residual");
                    collector.backward(loss.mul(manager.create(scale)));
                }
                Map<String, NDArray> unscaled = mixed.unscaledGradients(manager.create(1 / scale));
                assertClose(weight32, unscaled.get("weight").toFloatArray());
                assertClose(bias32, unscaled.get("bias").toFloatArray());
            }
        }
        assertEquals(DataType.FLOAT32, fp16.parameters().get("weight").getArray().getDataType(), "masters back");
        assertArrayEquals(before, fp16.weights());
    }

    /** Relative error of the vector within FP16's: inputs, weights and products are rounded to 11 bits. */
    private static void assertClose(float[] expected, float[] actual) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += (expected[i] - actual[i]) * (double) (expected[i] - actual[i]);
            norm += expected[i] * (double) expected[i];
        }
        assertTrue(Math.sqrt(diff / norm) < 4e-3, "relative error " + Math.sqrt(diff / norm));
        assertTrue(Math.sqrt(diff / norm) > 0, "FP16 rounding shows: the gradients really were FP16");
    }

    @Test
    void anOverflowSkipsTheStepAndHalvesTheScaleAndCleanStepsGrowIt() throws Exception {
        Set<Long> infinite = Set.of(5L);
        RegressionTask reference = new RegressionTask(manager, 3, 8).infiniteGradientAt(infinite);
        trainer(reference, "fp32", config("precision=fp32")).train();
        RegressionTask task = new RegressionTask(manager, 3, 8).infiniteGradientAt(infinite);
        TrainingResult result = trainer(task, "fp16", config("precision=fp16")).train();
        assertEquals(1, result.skippedSteps());

        List<JsonNode> rows = trainRows(run("fp16"));
        assertEquals(20, rows.size());
        LossScale expected = new LossScale(64, 0);
        for (int s = 0; s < 20; s++) {
            expected = expected.next(s != 5, 4);
            assertEquals(expected.scale(), rows.get(s).get("loss_scale").asDouble(), "after step " + s);
        }
        assertEquals(128.0, rows.get(3).get("loss_scale").asDouble(), "four clean steps doubled 64");
        assertEquals(64.0, rows.get(5).get("loss_scale").asDouble(), "the overflow at step 5 halved 128");
        assertEquals(1, rows.get(19).get("skipped_steps").asLong());
        // FP32 masters: the run follows the FP32 one to FP16 gradient rounding.
        float[] w16 = task.weights();
        float[] w32 = reference.weights();
        for (int i = 0; i < w32.length; i++) {
            assertEquals(w32[i], w16[i], 2e-3, "parameter " + i);
        }
        // The model after training and the saved one are FP32.
        assertEquals(DataType.FLOAT32, task.parameters().get("weight").getArray().getDataType());
        RegressionTask loaded = new RegressionTask(manager, 3, 8);
        loaded.loadModel(run("fp16").resolve(RunDirectory.MODEL));
        assertEquals(DataType.FLOAT32, loaded.parameters().get("weight").getArray().getDataType());
        assertArrayEquals(w16, loaded.weights());
    }

    @Test
    void anFp16RunResumesExactlyWithItsLossScale() throws Exception {
        RegressionTask reference = new RegressionTask(manager, 3, 8).infiniteGradientAt(Set.of(3L));
        trainer(reference, "reference", config("precision=fp16", "save_every=5", "save_total_limit=0")).train();
        Path checkpoint = run("reference").resolve(RunDirectory.CHECKPOINTS).resolve("step-000010");
        TrainerState state = Trainer.readState(checkpoint);
        assertEquals(new LossScale(state.lossScale(), state.lossScaleCleanSteps()),
                replay(10, Set.of(3L)), "the checkpoint holds the scale and its clean steps");

        // A copy of the run, resumed from step 10 by a fresh task that loads the checkpoint's (FP32) weights.
        copy(run("reference"), run("resumed"));
        RegressionTask resumed = new RegressionTask(manager, 3, 8).infiniteGradientAt(Set.of(3L));
        resumed.loadModel(run("resumed").resolve(RunDirectory.CHECKPOINTS).resolve("step-000010/model"));
        runs.reopened(resumed, "resumed", config("precision=fp16", "save_every=5", "save_total_limit=0"))
                .resume(run("resumed").resolve(RunDirectory.CHECKPOINTS).resolve("step-000010"));
        assertArrayEquals(reference.weights(), resumed.weights());
        List<JsonNode> a = trainRows(run("reference"));
        List<JsonNode> b = trainRows(run("resumed"));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            for (String key : List.of("loss", "grad_norm", "loss_scale", "skipped_steps")) {
                assertEquals(a.get(i).get(key), b.get(i).get(key), key + " of row " + i);
            }
        }
    }

    private static LossScale replay(int steps, Set<Long> skipped) {
        LossScale s = new LossScale(64, 0);
        for (long i = 0; i < steps; i++) {
            s = s.next(!skipped.contains(i), 4);
        }
        return s;
    }

    private static void copy(Path from, Path to) throws IOException {
        FileTrees.deleteRecursively(to);
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    @Test
    void anUnknownPrecisionIsOneLineNamingTheKey() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> config("precision=bf16"));
        assertTrue(e.getMessage().contains("training.precision") || e.getMessage().contains("precision"),
                e.getMessage());
        assertTrue(e.getMessage().contains("fp32 or fp16"), e.getMessage());
        assertThrows(ConfigException.class, () -> config("loss_scale_growth_interval=0"));
    }
}
