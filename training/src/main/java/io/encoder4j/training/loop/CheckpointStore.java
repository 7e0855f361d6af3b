package io.encoder4j.training.loop;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code checkpoints/} directory of a run: {@code step-NNNNNN/} directories, each complete or absent.
 *
 * <p>A checkpoint is written into a temporary directory {@code .tmp-step-NNNNNN-<pid>/}, every file forced to disk,
 * and then renamed to its final name in one atomic {@code rename(2)}. A crash at any point before the rename leaves
 * only the temporary directory, which {@link #latest()} never returns and the next run removes; the previous
 * checkpoint is never touched until a newer one is complete, and only then do old ones rotate out.
 */
public final class CheckpointStore {

    public static final String DIR = "checkpoints";
    private static final Pattern NAME = Pattern.compile("step-(\\d+)");
    private static final String TEMP_PREFIX = ".tmp-";

    /** Writes the contents of one checkpoint into a directory. */
    @FunctionalInterface
    public interface Contents {
        void writeTo(Path dir, FileSink sink) throws IOException;
    }

    private final Path dir;
    private final FileSink sink;

    public CheckpointStore(Path dir, FileSink sink) {
        this.dir = dir;
        this.sink = sink;
    }

    public Path dir() {
        return dir;
    }

    /** {@code step-000500}: six digits at least, so that names sort by step in a listing. */
    public static String name(long step) {
        return String.format("step-%06d", step);
    }

    /** The step a checkpoint directory holds, from its name. */
    public static long step(Path checkpoint) {
        Matcher m = NAME.matcher(checkpoint.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException(checkpoint + " is not a checkpoint directory (step-NNNNNN)");
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * Writes the checkpoint of {@code step} atomically and returns its directory. A failure to write (a full disk)
     * removes the partial copy and is reported as one line naming the checkpoint, the cause and the previous
     * checkpoint, which is intact.
     */
    public Path write(long step, Contents contents) {
        Path target = dir.resolve(name(step));
        Path temp = dir.resolve(TEMP_PREFIX + name(step) + "-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(dir);
            FileTrees.deleteRecursively(temp);
            Files.createDirectories(temp);
            contents.writeTo(temp, sink);
            forceTree(temp);
            if (Files.exists(target)) {
                // Only when a run re-saves a step it already saved (a stop right after a scheduled checkpoint).
                Path old = dir.resolve(TEMP_PREFIX + "old-" + name(step) + "-" + ProcessHandle.current().pid());
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                move(temp, target);
                FileTrees.deleteRecursively(old);
            } else {
                move(temp, target);
            }
            force(dir);
            return target;
        } catch (IOException e) {
            try {
                FileTrees.deleteRecursively(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            Optional<Path> previous = latest();
            throw new ConfigException("cannot write checkpoint " + target + ": " + describe(e) + "; "
                    + previous.map(p -> "the previous checkpoint " + p + " is intact").orElse("no earlier checkpoint")
                    + (isDiskFull(e) ? " (free disk space, then continue with: encoder4j resume "
                            + dir.getParent() + ")" : ""), e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system cannot rename " + from + " atomically", e);
        }
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private static boolean isDiskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> list() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
                    .sorted(Comparator.comparingLong(CheckpointStore::step)).toList();
        } catch (IOException e) {
            throw new ConfigException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The newest complete checkpoint. */
    public Optional<Path> latest() {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /**
     * Deletes all but the newest {@code keep} checkpoints, never {@code protect} (the best one); 0 keeps all.
     */
    public void rotate(int keep, Path protect) throws IOException {
        if (keep <= 0) {
            return;
        }
        List<Path> all = new ArrayList<>(list());
        for (int i = 0; i < all.size() - keep; i++) {
            Path p = all.get(i);
            if (!p.equals(protect)) {
                FileTrees.deleteRecursively(p);
            }
        }
    }

    /** Removes temporary directories that a crashed or killed writer left behind. */
    public void removeIncomplete() throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> temps;
        try (Stream<Path> s = Files.list(dir)) {
            temps = s.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList();
        }
        for (Path t : temps) {
            FileTrees.deleteRecursively(t);
        }
    }

    /** Forces every file under {@code root}, and the directories, to stable storage. */
    private static void forceTree(Path root) throws IOException {
        List<Path> paths;
        try (Stream<Path> s = Files.walk(root)) {
            paths = s.toList();
        }
        for (Path p : paths) {
            force(p);
        }
    }

    private static void force(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
                c.force(true);
            } catch (IOException e) {
                // Some file systems refuse to open directories; the files themselves were forced.
            }
        } else {
            try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
                c.force(true);
            }
        }
    }
}
