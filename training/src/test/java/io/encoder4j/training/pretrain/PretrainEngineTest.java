package io.encoder4j.training.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.training.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Masked-LM on the engine: accumulation against one large batch, resume's checks, --print-config with includes. */
class PretrainEngineTest {

    @TempDir
    static Path dir;

    private static Path job;

    @BeforeAll
    static void writeJob() throws Exception {
        Files.writeString(dir.resolve("model-preset.yaml"),
                "model: {hidden_size: 32, num_layers: 2, num_heads: 2, intermediate_size: 64, dropout: 0.0,\n"
                        + "  attention: {type: full, dropout: 0.0}}\n");
        job = dir.resolve("jobs/engine.yaml");
        Files.createDirectories(job.getParent());
        List<String> lines = new java.util.ArrayList<>(List.of("include: ../model-preset.yaml",
                "run: {output_dir: " + dir.resolve("runs") + "}"));
        lines.addAll(SharedCorpus.tinyData(dir, 100_000, 500));
        lines.addAll(List.of("training: {batch_size: 8, max_steps: 3, learning_rate: 2.0e-3, warmup_steps: 1, log_every: 1,"
                        + " eval_every: 3, eval_batches: 1, save_every: 1, device: cpu}",
                ""));
        Files.writeString(job, String.join("\n", lines));
    }

    private static String cli(int expectedCode, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(expectedCode, code, err.toString());
        return expectedCode == 0 ? out.toString() : err.toString();
    }

    @Test
    void fourMicroBatchesOfTwoTrainLikeOneBatchOfEight() throws Exception {
        cli(0, "pretrain", job.toString(), "run.name=batch8");
        cli(0, "pretrain", job.toString(), "run.name=micro2x4", "training.batch_size=2",
                "training.gradient_accumulation_steps=4");
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskedLmModel a = ModelDirectory.load(dir.resolve("runs/batch8/model"), manager, MaskedLmModel.class);
            MaskedLmModel b = ModelDirectory.load(dir.resolve("runs/micro2x4/model"), manager, MaskedLmModel.class);
            float worst = 0;
            for (Pair<String, Parameter> p : a.getParameters()) {
                float[] x = p.getValue().getArray().toFloatArray();
                float[] y = b.getParameters().get(p.getKey()).getArray().toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    worst = Math.max(worst, Math.abs(x[i] - y[i]));
                }
            }
            assertTrue(worst < 1e-5, "largest weight difference after 3 steps: " + worst);
        }
    }

    /**
     * Data parallelism on CPU replicas (training.device: [cpu, cpu] is the test and debugging spelling): the rows of
     * every micro-batch are shared by the devices, and the weights and logged losses must be those of one device
     * training on the same batches, up to rounding. Two replicas share micro-batches of 4 rows (2 + 2, two micro-batches
     * per step); three share 8 rows unevenly (3 + 3 + 2).
     */
    @Test
    void cpuReplicasTrainLikeOneDevice() throws Exception {
        cli(0, "pretrain", job.toString(), "run.name=one-device");
        cli(0, "pretrain", job.toString(), "run.name=two-replicas", "training.device=[cpu,cpu]",
                "training.batch_size=4", "training.gradient_accumulation_steps=2");
        cli(0, "pretrain", job.toString(), "run.name=three-replicas", "training.device=[cpu,cpu,cpu]");
        for (String replicas : List.of("two-replicas", "three-replicas")) {
            assertSameWeights(dir.resolve("runs/one-device/model"), dir.resolve("runs/" + replicas + "/model"));
            // Evaluation batches are batch_size rows: the eval rows compare where batch_size is the same.
            String splits = replicas.equals("three-replicas") ? "train|eval" : "train";
            List<double[]> one = losses("one-device", splits);
            List<double[]> many = losses(replicas, splits);
            assertEquals(one.size(), many.size());
            for (int i = 0; i < one.size(); i++) {
                assertEquals(one.get(i)[0], many.get(i)[0], replicas + " row " + i);
                assertEquals(one.get(i)[1], many.get(i)[1], 1e-5 * Math.abs(one.get(i)[1]), replicas + " row " + i);
            }
        }
        // The saved config keeps the list, so the run resumes data-parallel.
        assertTrue(Files.readString(dir.resolve("runs/two-replicas/config.yaml")).contains("device:\n  - cpu\n  - cpu"),
                Files.readString(dir.resolve("runs/two-replicas/config.yaml")));
        cli(0, "resume", dir.resolve("runs/two-replicas").toString(), "training.max_steps=4");
        assertEquals("error: " + job + ": training.batch_size: 2 rows per micro-batch cannot be shared by the 3 "
                + "devices of training.device; use at least 3\n", cli(2, "pretrain", job.toString(),
                        "run.name=too-few-rows", "training.device=[cpu,cpu,cpu]", "training.batch_size=2"));
    }

    /** (step, loss) of the rows of a run's metrics.jsonl whose split matches {@code splits}, in order. */
    private static List<double[]> losses(String run, String splits) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<double[]> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("runs/" + run + "/metrics.jsonl"))) {
            var row = json.readTree(line);
            if (!row.get("split").asText().matches(splits)) {
                continue;
            }
            out.add(new double[] {row.get("step").asDouble(), row.get("loss").asDouble()});
        }
        return out;
    }

    private static void assertSameWeights(Path expected, Path actual) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskedLmModel a = ModelDirectory.load(expected, manager, MaskedLmModel.class);
            MaskedLmModel b = ModelDirectory.load(actual, manager, MaskedLmModel.class);
            for (Pair<String, Parameter> p : a.getParameters()) {
                float[] x = p.getValue().getArray().toFloatArray();
                float[] y = b.getParameters().get(p.getKey()).getArray().toFloatArray();
                float scale = 0;
                float worst = 0;
                for (int i = 0; i < x.length; i++) {
                    scale = Math.max(scale, Math.abs(x[i]));
                    worst = Math.max(worst, Math.abs(x[i] - y[i]));
                }
                assertTrue(worst <= 1e-5 * Math.max(scale, 1e-3f), actual + ": " + p.getKey() + " differs by " + worst
                        + " (largest weight " + scale + ")");
            }
        }
    }

    @Test
    void resumeRefusesWhatItCannotContinueExactly() throws Exception {
        cli(0, "pretrain", job.toString(), "run.name=done");
        Path done = dir.resolve("runs/done");
        assertEquals("error: training.max_steps: the run is complete: its last checkpoint " + done.resolve(
                "checkpoints/step-000003") + " is at step 3 of max_steps 3 (its model/ holds the final weights); to "
                + "train longer, resume with "
                + "training.max_steps=<more>\n", cli(2, "resume", done.toString()));
        assertEquals("error: override 'run.name=x': the run section cannot change when resuming\n",
                cli(2, "resume", done.toString(), "run.name=x", "training.max_steps=5"));
        assertTrue(cli(2, "resume", done.toString(), "training.max_steps=5", "data.seq_length=16")
                .startsWith("error: data: the prepared data (packed-"), "a different corpus, tokenizer or length");
        assertEquals("error: " + dir.resolve("runs/nowhere") + ": no such run directory\n",
                cli(2, "resume", dir.resolve("runs/nowhere").toString()));

        // A checkpoint whose model/ belongs to another architecture: the first difference is named.
        cli(0, "pretrain", job.toString(), "run.name=wide", "model.hidden_size=48", "model.num_heads=3");
        Path checkpoint = done.resolve("checkpoints/step-000003");
        FileTrees.deleteRecursively(checkpoint.resolve("model"));
        copy(dir.resolve("runs/wide/model"), checkpoint.resolve("model"));
        assertEquals("error: " + checkpoint.resolve("model/model.json") + ": the checkpoint holds a different model "
                + "than the run's config: model.hidden_size is 32 in the config but 48 in the checkpoint\n",
                cli(2, "resume", done.toString(), "training.max_steps=5"));
        // Weights of another model under a matching model.json: the models code names the first mismatch.
        Files.copy(done.resolve("model/model.json"), checkpoint.resolve("model/model.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String mismatch = cli(2, "resume", done.toString(), "training.max_steps=5");
        assertTrue(mismatch.startsWith("error: " + checkpoint.resolve("model/model.params") + ": the checkpoint's "
                + "parameter '"), mismatch);
        assertTrue(mismatch.contains("(a checkpoint of a different architecture)"), mismatch);

        // No checkpoint at all.
        cli(0, "pretrain", job.toString(), "run.name=early", "training.save_every=100", "training.max_steps=1");
        FileTrees.deleteRecursively(dir.resolve("runs/early/checkpoints"));
        assertTrue(cli(2, "resume", dir.resolve("runs/early").toString())
                .startsWith("error: " + dir.resolve("runs/early") + ": no checkpoint in "), "no checkpoint");
    }

    @Test
    void aResumedRunCanBeExtended() throws Exception {
        cli(0, "pretrain", job.toString(), "run.name=extended");
        cli(0, "resume", dir.resolve("runs/extended").toString(), "training.max_steps=5");
        String summary = Files.readString(dir.resolve("runs/extended/summary.json"));
        assertTrue(summary.contains("\"steps\" : 5"), summary);
        assertTrue(Files.readString(dir.resolve("runs/extended/config.yaml")).contains("max_steps: 5"));
    }

    @Test
    void aGpuOnAMachineWithoutOneIsOneLineAndWritesNothing() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ai.djl.engine.Engine.getInstance().getGpuCount() == 0);
        assertEquals("error: " + job + ": training.device: 'gpu' asks for a GPU, but the PyTorch engine sees none on "
                + "this machine (CPU-only natives, or no CUDA device); use training.device=cpu or auto\n",
                cli(2, "pretrain", job.toString(), "run.name=on-gpu", "training.device=gpu"));
        assertFalse(Files.exists(dir.resolve("runs/on-gpu")));
    }

    /** FP16 with an attention type that fails in FP16 on a GPU (docs/gpu.md) is refused before anything is written. */
    @Test
    void fp16WithAnUnverifiedAttentionIsOneLineAndWritesNothing() {
        assertEquals("error: " + job + ": training.precision: fp16 is not supported with 'linear' attention yet (it "
                + "trains in FP16 with bigbird, blockwise, full, global, long_short, nystrom, rfa, sliding_window; see "
                + "docs/gpu.md); use fp32\n",
                cli(2, "pretrain", job.toString(), "run.name=half-window", "training.precision=fp16",
                        "model.attention.type=linear"));
        assertFalse(Files.exists(dir.resolve("runs/half-window")));
    }

    @Test
    void printConfigShowsTheResolvedJobAndRunsNothing() throws Exception {
        String yaml = cli(0, "pretrain", job.toString(), "--print-config", "run.name=printed",
                "training.max_steps=7");
        assertTrue(yaml.contains("hidden_size: 32"), "from the included preset: " + yaml);
        assertTrue(yaml.contains("max_steps: 7"), yaml);
        assertTrue(yaml.contains("schedule: linear"), "defaults filled: " + yaml);
        assertFalse(yaml.contains("include"), yaml);
        assertFalse(Files.exists(dir.resolve("runs/printed")));
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }
}
