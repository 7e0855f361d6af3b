package io.encoder4j.models;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A saved model: {@code model.json} (the {@link EncoderConfig}), {@code model.params} (DJL's parameter format, tied
 * by block structure to that config) and, next to them, the {@code tokenizer.json} the model was trained with.
 */
public final class ModelDirectory {

    public static final String CONFIG_FILE = "model.json";
    public static final String WEIGHTS_FILE = "model.params";
    public static final String TOKENIZER_FILE = "tokenizer.json";

    private ModelDirectory() {}

    /** Writes config, weights and a copy of the tokenizer into {@code dir} (created; existing files replaced). */
    public static void save(MaskedLmModel model, Path tokenizerJson, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(CONFIG_FILE), ConfigLoader.toJson(model.config()));
        Path tmp = dir.resolve(WEIGHTS_FILE + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os))) {
            model.saveParameters(out);
        }
        Files.move(tmp, dir.resolve(WEIGHTS_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Files.copy(tokenizerJson, dir.resolve(TOKENIZER_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads the config of a saved model. */
    public static EncoderConfig readConfig(Path dir) {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": not found; is " + dir + " a model directory?");
        }
        return ConfigLoader.load(file, EncoderConfig.class, java.util.List.of());
    }

    /** Builds the model described by {@code dir} on {@code manager} and loads its weights. */
    public static MaskedLmModel load(Path dir, NDManager manager) throws IOException {
        MaskedLmModel model = MaskedLmModel.create(readConfig(dir), manager);
        Path weights = dir.resolve(WEIGHTS_FILE);
        try (InputStream is = Files.newInputStream(weights);
                DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            model.loadParameters(manager, in);
        } catch (MalformedModelException e) {
            throw new ConfigException(weights + ": weights do not match " + CONFIG_FILE + ": " + e.getMessage(), e);
        }
        return model;
    }
}
