package io.encoder4j.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Model presets: the YAML files in {@code configs/models/}, each holding one {@code model:} section in the format
 * of a job's (see {@code configs/quickstart.yaml}), and helpers to derive configs from them without naming every
 * field of {@link EncoderConfig}.
 */
public final class EncoderPresets {

    /** The directory of the presets, relative to the repository root. */
    public static final String DIRECTORY = "configs/models";

    /** The layout of a preset file: a single {@code model:} section. */
    public record PresetFile(EncoderConfig model) {}

    private EncoderPresets() {}

    /**
     * Reads a preset file into an encoder config, validated; errors are one line naming the file, the line and the
     * key ({@code model.attention.window}).
     *
     * @param overrides {@code model.key=value} overrides, as on the command line
     */
    public static EncoderConfig load(Path file, List<String> overrides) {
        PresetFile preset = ConfigLoader.load(file, PresetFile.class, overrides);
        if (preset.model() == null) {
            throw new ConfigException(file + ": a model preset needs a 'model:' section");
        }
        return preset.model();
    }

    /** Reads a preset file into an encoder config; see {@link #load(Path, List)}. */
    public static EncoderConfig load(Path file) {
        return load(file, List.of());
    }

    /**
     * A copy of {@code config} with some fields replaced, by their YAML keys: {@code with(c, Map.of("dropout", 0.0,
     * "max_position_embeddings", 514))}. Values are what YAML would give (numbers, strings, lists, maps for
     * {@code attention}); the result is validated like a loaded config.
     *
     * @throws IllegalArgumentException naming the key of an invalid value
     */
    public static EncoderConfig with(EncoderConfig config, Map<String, ?> values) {
        ObjectMapper mapper = ConfigLoader.mapper();
        ObjectNode tree = mapper.valueToTree(config);
        values.forEach((key, value) -> tree.set(key, mapper.valueToTree(value)));
        return bind(tree);
    }

    /**
     * A small model with the preset's attention, for tests and quick benchmarks: the given sizes, a maximum length of
     * {@code maxLength} tokens, and every length-like attention setting (window, block size, Linformer k, landmarks,
     * rank, chunk, bucket count, convolution) scaled by maxLength / the preset's maximum length, kept within the
     * limits of its key. Counts that are not lengths (random blocks, global blocks, hash rounds, features) stay.
     */
    public static EncoderConfig shrink(EncoderConfig preset, int hiddenSize, int numLayers, int numHeads,
            int intermediateSize, int maxLength) {
        ObjectMapper mapper = ConfigLoader.mapper();
        ObjectNode tree = mapper.valueToTree(preset);
        double factor = preset.maxPositionEmbeddings() == null ? 1.0
                : Math.min(1.0, (double) maxLength / preset.maxSequenceLength());
        tree.put("hidden_size", hiddenSize);
        tree.put("num_layers", numLayers);
        tree.put("num_heads", numHeads);
        tree.put("intermediate_size", intermediateSize);
        tree.put("max_position_embeddings", maxLength + preset.padTokenId() + 1);
        // Axial factors and widths are sized for the preset's length and width: let the shrunk model derive its own.
        tree.remove("axial_pos_shape");
        tree.remove("axial_pos_embds_dim");
        JsonNode attention = tree.get("attention");
        List<JsonNode> entries = new ArrayList<>();
        if (attention.isArray()) {
            attention.forEach(entries::add);
        } else {
            entries.add(attention);
        }
        ArrayNode scaled = mapper.createArrayNode();
        for (JsonNode entry : entries.subList(0, Math.min(entries.size(), numLayers))) {
            scaled.add(shrinkAttention((ObjectNode) entry.deepCopy(), factor, numLayers, numHeads, maxLength));
        }
        tree.set("attention", scaled);
        return bind(tree);
    }

    private static ObjectNode shrinkAttention(ObjectNode a, double factor, int numLayers, int numHeads,
            int maxLength) {
        Map<String, int[]> limits = new LinkedHashMap<>();
        // key -> {minimum, multiple of}
        limits.put("window", new int[] {4, 2});
        limits.put("block_size", new int[] {4, 1});
        limits.put("projected_length", new int[] {4, 1});
        limits.put("num_landmarks", new int[] {4, 1});
        limits.put("rank", new int[] {2, 1});
        limits.put("chunk_size", new int[] {4, 1});
        limits.put("num_buckets", new int[] {2, 2});
        for (Map.Entry<String, int[]> e : limits.entrySet()) {
            if (a.hasNonNull(e.getKey())) {
                a.put(e.getKey(), scale(a.get(e.getKey()).asInt(), factor, e.getValue()[0], e.getValue()[1],
                        maxLength));
            }
        }
        if (a.hasNonNull("conv_kernel") && a.get("conv_kernel").asInt() > 0) {
            int k = scale(a.get("conv_kernel").asInt(), factor, 3, 1, maxLength);
            a.put("conv_kernel", k % 2 == 0 ? k - 1 : k);
        }
        if (a.hasNonNull("layer_windows")) {
            ArrayNode windows = mapper().createArrayNode();
            JsonNode given = a.get("layer_windows");
            for (int i = 0; i < numLayers; i++) {
                int w = given.get(Math.min(i, given.size() - 1)).asInt();
                windows.add(new IntNode(scale(w, factor, 4, 2, maxLength)));
            }
            a.set("layer_windows", windows);
        }
        if (a.hasNonNull("dilation") && a.get("dilation").size() > 1) {
            ArrayNode dilation = mapper().createArrayNode();
            JsonNode given = a.get("dilation");
            for (int h = 0; h < numHeads; h++) {
                dilation.add(given.get(h % given.size()));
            }
            a.set("dilation", dilation);
        }
        return a;
    }

    private static int scale(int value, double factor, int minimum, int multiple, int maxLength) {
        int v = Math.max(minimum, (int) Math.round(value * factor));
        int limit = maxLength - maxLength % multiple;
        v = Math.min(v, limit);
        return v - v % multiple;
    }

    private static ObjectMapper mapper() {
        return ConfigLoader.mapper();
    }

    private static EncoderConfig bind(ObjectNode tree) {
        try {
            return ConfigLoader.mapper().treeToValue(tree, EncoderConfig.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            if (root instanceof IllegalArgumentException iae) {
                throw iae;
            }
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
