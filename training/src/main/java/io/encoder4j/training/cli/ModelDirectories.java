package io.encoder4j.training.cli;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.models.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the encoder4j model directory a command is pointed at: the directory itself, or a run's model/. */
final class ModelDirectories {

    private ModelDirectories() {}

    static Path resolveOurs(Path given) {
        if (Files.isRegularFile(given.resolve(ModelDirectory.CONFIG_FILE))) {
            return given;
        }
        Path inRun = given.resolve("model");
        if (Files.isRegularFile(inRun.resolve(ModelDirectory.CONFIG_FILE))) {
            return inRun;
        }
        throw new ConfigException(given + ": not an encoder4j model directory (no " + ModelDirectory.CONFIG_FILE
                + ") nor a run directory (no model/" + ModelDirectory.CONFIG_FILE + ")");
    }
}
