package io.encoder4j.training.loop;

import ai.djl.ndarray.NDManager;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.training.run.RunConfig;
import io.encoder4j.training.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Trainers on {@link RegressionTask} in run directories under a test's temporary folder: the setup the engine's
 * tests share. It claims runs, reopens one to resume it as a new process would, and closes the runs and its manager.
 */
final class RegressionRuns implements AutoCloseable {

    private static final String JOB_YAML = "training: {}\n";

    private final Path dir;
    private final String trainingYaml;
    private final NDManager manager = NDManager.newBaseManager();
    private final List<RunDirectory> open = new ArrayList<>();

    /** @param trainingYaml the {@code training:} settings every config starts from */
    RegressionRuns(Path dir, String trainingYaml) {
        this.dir = dir;
        this.trainingYaml = trainingYaml;
    }

    NDManager manager() {
        return manager;
    }

    TrainingConfig config(String... overrides) throws IOException {
        Path file = dir.resolve("training.yaml");
        Files.writeString(file, trainingYaml);
        return ConfigLoader.load(file, TrainingConfig.class, List.of(overrides));
    }

    /** A trainer in the new run {@code name}. */
    Trainer<RegressionTask.Batch> trainer(RegressionTask task, String name, TrainingConfig config)
            throws IOException {
        return trainerIn(claimed(RunDirectory.claim(new RunConfig(name, dir.resolve("runs").toString(), false, 3L))),
                task, config);
    }

    /** A trainer in the existing run {@code name}, reopened (and closed first if this fixture holds it open). */
    Trainer<RegressionTask.Batch> reopened(RegressionTask task, String name, TrainingConfig config)
            throws IOException {
        Path path = run(name);
        for (RunDirectory r : List.copyOf(open)) {
            if (r.path().equals(path)) {
                r.close();
                open.remove(r);
            }
        }
        Files.writeString(path.resolve(RunDirectory.CONFIG), JOB_YAML);
        return trainerIn(claimed(RunDirectory.reopen(path)), task, config);
    }

    Path run(String name) {
        return dir.resolve("runs").resolve(name);
    }

    private RunDirectory claimed(RunDirectory run) {
        open.add(run);
        return run;
    }

    private Trainer<RegressionTask.Batch> trainerIn(RunDirectory run, RegressionTask task, TrainingConfig config) {
        return new Trainer<>(task, config, new RunContext(run, "regression", 3L, JOB_YAML, Map.of(), null), manager);
    }

    @Override
    public void close() throws IOException {
        for (RunDirectory r : open) {
            r.close();
        }
        manager.close();
    }
}
