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
    /** Name and shape of every parameter in loading order, to name a mismatch instead of failing inside DJL. */
    public static final String PARAMETERS_FILE = "parameters.json";

    private ModelDirectory() {}

    /** Writes config, weights and a copy of the tokenizer into {@code dir} (created; existing files replaced). */
    public static void save(MaskedLmModel model, Path tokenizerJson, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(CONFIG_FILE), ConfigLoader.toJson(model.config()));
        Files.writeString(dir.resolve(PARAMETERS_FILE), ConfigLoader.toJson(parameterShapes(model)));
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
        checkShapes(dir, model);
        try (InputStream is = Files.newInputStream(weights);
                DataInputStream in = new DataInputStream(new BufferedInputStream(is))) {
            model.loadParameters(manager, in);
        } catch (MalformedModelException e) {
            throw new ConfigException(weights + ": weights do not match " + CONFIG_FILE + ": " + e.getMessage(), e);
        }
        return model;
    }

    /** Parameter name (as DJL names it, without the child-index prefixes) to shape, in the order they are saved. */
    static java.util.LinkedHashMap<String, java.util.List<Long>> parameterShapes(MaskedLmModel model) {
        java.util.LinkedHashMap<String, java.util.List<Long>> shapes = new java.util.LinkedHashMap<>();
        for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : model.getParameters()) {
            long[] dims = p.getValue().getArray().getShape().getShape();
            shapes.put(readableName(p.getKey()), java.util.Arrays.stream(dims).boxed().toList());
        }
        return shapes;
    }

    /** {@code 02encoder_03layer0_01attention_01query_weight} to {@code encoder_layer0_attention_query_weight}. */
    private static String readableName(String djlName) {
        return djlName.replaceAll("(^|_)\\d{2}(?=[a-z])", "$1");
    }

    /**
     * Compares the parameters of the model built from {@code model.json} with the ones saved next to it and names
     * the first difference, which DJL's loader would report only as a failure deep in the stream.
     */
    private static void checkShapes(Path dir, MaskedLmModel model) throws IOException {
        Path file = dir.resolve(PARAMETERS_FILE);
        if (!Files.isRegularFile(file)) {
            return;
        }
        com.fasterxml.jackson.databind.JsonNode saved = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(file.toFile());
        java.util.LinkedHashMap<String, java.util.List<Long>> built = parameterShapes(model);
        java.util.Iterator<String> savedNames = saved.fieldNames();
        for (java.util.Map.Entry<String, java.util.List<Long>> e : built.entrySet()) {
            if (!savedNames.hasNext()) {
                throw new ConfigException(dir.resolve(WEIGHTS_FILE) + ": the checkpoint has no parameter '"
                        + e.getKey() + "' " + e.getValue() + " that " + CONFIG_FILE + " describes");
            }
            String name = savedNames.next();
            java.util.List<Long> shape = new java.util.ArrayList<>();
            saved.get(name).forEach(d -> shape.add(d.asLong()));
            if (!name.equals(e.getKey()) || !shape.equals(e.getValue())) {
                throw new ConfigException(dir.resolve(WEIGHTS_FILE) + ": the checkpoint's parameter '" + name + "' "
                        + shape + " does not match the model's '" + e.getKey() + "' " + e.getValue()
                        + " (a checkpoint of a different architecture)");
            }
        }
        if (savedNames.hasNext()) {
            String extra = savedNames.next();
            throw new ConfigException(dir.resolve(WEIGHTS_FILE) + ": the checkpoint has parameter '" + extra
                    + "' that the model built from " + CONFIG_FILE + " lacks");
        }
    }
}
