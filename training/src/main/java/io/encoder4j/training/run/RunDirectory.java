package io.encoder4j.training.run;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code <output_dir>/<name>/}: what a run writes. An existing, non-empty run directory is never touched unless
 * the job sets {@code run.overwrite: true}; even then only the files a run writes are replaced. While a run is
 * active it holds a lock on {@code .lock} in the directory, so a second process cannot write into the same run (the
 * operating system releases the lock when the process dies, even by SIGKILL).
 */
public final class RunDirectory implements AutoCloseable {

    public static final String CONFIG = "config.yaml";
    public static final String METRICS = "metrics.jsonl";
    public static final String LOSS_PLOT = "loss.png";
    public static final String MODEL = "model";
    public static final String SUMMARY = "summary.json";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String TENSORBOARD = "tb";
    private static final String LOCK = ".lock";
    private static final List<String> OUTPUTS = List.of(CONFIG, METRICS, LOSS_PLOT, MODEL, SUMMARY, CHECKPOINTS,
            TENSORBOARD);

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private RunDirectory(Path dir) throws IOException {
        this.dir = dir;
        this.lockChannel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            throw new ConfigException("run.name: " + dir + " is in use by another running encoder4j job");
        }
        this.lock = l;
    }

    /** Claims the run directory, refusing to reuse a non-empty one unless {@code overwrite}. */
    public static RunDirectory claim(RunConfig config) throws IOException {
        Path dir = Path.of(config.outputDir()).resolve(config.name());
        if (Files.isDirectory(dir) && !isEmpty(dir)) {
            if (!config.overwrite()) {
                throw new ConfigException("run.name: " + dir + " already exists; choose another run.name or set "
                        + "run.overwrite=true to replace its outputs");
            }
            RunDirectory run = new RunDirectory(dir);
            for (String output : OUTPUTS) {
                FileTrees.deleteRecursively(dir.resolve(output));
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path png : s.filter(p -> p.getFileName().toString().endsWith(".png")).toList()) {
                    Files.delete(png);
                }
            }
            return run;
        } else if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ConfigException("run.output_dir: " + dir + " exists and is not a directory");
        }
        Files.createDirectories(dir);
        return new RunDirectory(dir);
    }

    /** An existing run, to resume: it must hold the run's {@code config.yaml}. */
    public static RunDirectory reopen(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new ConfigException(dir + ": no such run directory");
        }
        if (!Files.isRegularFile(dir.resolve(CONFIG))) {
            throw new ConfigException(dir + ": not a run directory (it has no " + CONFIG + ")");
        }
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
            return s.allMatch(p -> p.getFileName().toString().equals(LOCK));
        }
    }

    /** Releases the lock. */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }
}
