package io.encoder4j.models.interop;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.io.FileTrees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * Publishes a directory all at once: everything is written into a temporary sibling, which is renamed to the target
 * only when complete, so a failure (bad input found half-way, a full disk) leaves nothing behind, and an existing
 * non-empty directory is never overwritten.
 */
public final class OutputDirectory {

    /** Writes the contents of a directory. */
    @FunctionalInterface
    public interface Writer {
        void write(Path dir) throws IOException;
    }

    private OutputDirectory() {}

    /** Fails with a one-line error when {@code target} exists and is not an empty directory. */
    public static void requireAbsentOrEmpty(Path target) throws IOException {
        if (!Files.exists(target)) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new ConfigException(target + ": exists and is not a directory; nothing was written");
        }
        try (Stream<Path> entries = Files.list(target)) {
            if (entries.findAny().isPresent()) {
                throw new ConfigException(target + ": exists and is not empty; choose a new output directory "
                        + "(nothing is overwritten)");
            }
        }
    }

    /** Runs {@code writer} on a temporary sibling of {@code target} and renames it to {@code target}. */
    public static void publish(Path target, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        requireAbsentOrEmpty(absolute);
        Path parent = absolute.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + absolute.getFileName() + ".tmp-");
        boolean done = false;
        try {
            writer.write(tmp);
            if (Files.isDirectory(absolute)) {
                Files.delete(absolute);
            }
            Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
            done = true;
        } finally {
            if (!done) {
                FileTrees.deleteRecursively(tmp);
            }
        }
    }
}
