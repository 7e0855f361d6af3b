package io.encoder4j.training.run;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code <output_dir>/<name>/}: what a run writes. An existing, non-empty run directory is never touched unless
 * the job sets {@code run.overwrite: true}; even then only the files a run writes are replaced.
 */
public final class RunDirectory {

    public static final String CONFIG = "config.yaml";
    public static final String METRICS = "metrics.jsonl";
    public static final String LOSS_PLOT = "loss.png";
    public static final String MODEL = "model";
    public static final String SUMMARY = "summary.json";
    private static final List<String> OUTPUTS = List.of(CONFIG, METRICS, LOSS_PLOT, MODEL, SUMMARY);

    private final Path dir;

    private RunDirectory(Path dir) {
        this.dir = dir;
    }

    /** Claims the run directory, refusing to reuse a non-empty one unless {@code overwrite}. */
    public static RunDirectory claim(RunConfig config) throws IOException {
        Path dir = Path.of(config.outputDir()).resolve(config.name());
        if (Files.isDirectory(dir) && !isEmpty(dir)) {
            if (!config.overwrite()) {
                throw new ConfigException("run.name: " + dir + " already exists; choose another run.name or set "
                        + "run.overwrite=true to replace its outputs");
            }
            for (String output : OUTPUTS) {
                FileTrees.deleteRecursively(dir.resolve(output));
            }
        } else if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ConfigException("run.output_dir: " + dir + " exists and is not a directory");
        }
        Files.createDirectories(dir);
        return new RunDirectory(dir);
    }

    public Path path() {
        return dir;
    }

    public Path resolve(String name) {
        return dir.resolve(name);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
