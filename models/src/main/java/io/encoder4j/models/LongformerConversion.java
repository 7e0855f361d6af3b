package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.FullAttention;
import io.encoder4j.core.attention.GlobalAttention;
import io.encoder4j.core.attention.SlidingWindowAttention;
import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a model trained with full attention on short inputs into a Longformer for long ones, as Beltagy et al.
 * (2020, section 5, "Attention Pattern" and "Position Embeddings") did from RoBERTa:
 * <ul>
 *   <li>the learned position table grows to the new maximum by copying the learned rows over and over (rows
 *       0 ... pad, which RoBERTa reserves, stay as they are);</li>
 *   <li>every layer's attention becomes {@code global} over a {@code sliding_window} of the given window, keeping
 *       its query, key, value and output projections, and its global projections {@code query_global},
 *       {@code key_global}, {@code value_global} start as copies of the local ones;</li>
 *   <li>everything else (the head included) is copied unchanged.</li>
 * </ul>
 * When the window covers a whole input (w/2 &ge; its length - 1), the converted model computes exactly what the
 * original did on every input the original could take, global tokens or not.
 */
public final class LongformerConversion {

    /** Longformer-base-4096's maximum length and window. */
    public static final int DEFAULT_MAX_LENGTH = 4096;
    public static final int DEFAULT_WINDOW = 512;

    private static final String GLOBAL_SUFFIX = "_global_";

    private LongformerConversion() {}

    /**
     * The long model's encoder config: the source's with room for {@code maxLength} tokens and global attention over
     * a sliding window of {@code window} (w/2 keys on each side) in every layer, with the source's attention
     * dropout.
     *
     * @throws ConfigException naming {@code --max-length} or {@code --window} when they cannot work
     */
    public static EncoderConfig longConfig(EncoderConfig source, int maxLength, int window) {
        for (int layer = 0; layer < source.numLayers(); layer++) {
            String type = source.attentionOf(layer).type();
            if (!type.equals(FullAttention.NAME)) {
                throw new ConfigException("layer " + layer + " has attention type '" + type + "': only models with "
                        + "full attention in every layer can be converted");
            }
        }
        if (maxLength <= source.maxSequenceLength()) {
            throw new ConfigException("--max-length " + maxLength + " must be larger than the model's maximum length "
                    + source.maxSequenceLength());
        }
        AttentionConfig attention;
        try {
            attention = AttentionConfig.of(GlobalAttention.NAME, "local", SlidingWindowAttention.NAME, "window",
                    window, "dropout", source.attentionOf(0).dropout());
            attention.validateFor(source.hiddenSize(), source.numHeads(), maxLength, source.numLayers());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--window " + window + ": " + e.getMessage(), e);
        }
        Map<String, Object> changes = new LinkedHashMap<>();
        changes.put("max_position_embeddings", maxLength + source.padTokenId() + 1);
        changes.put("attention", List.of(attention));
        return EncoderPresets.with(source, changes);
    }

    /**
     * The converted model, with the source's head, on {@code manager}.
     *
     * @throws ConfigException if the source cannot be converted
     */
    public static TaskModel convert(TaskModel source, int maxLength, int window, NDManager manager) {
        EncoderConfig config = longConfig(source.config(), maxLength, window);
        TaskModel target = TaskModel.create(config, source.head(), manager);
        LinkedHashMap<String, Parameter> from = NamedParameters.of(source);
        Set<String> used = new HashSet<>();
        int reserved = source.config().padTokenId() + 1;
        for (Map.Entry<String, Parameter> to : NamedParameters.of(target).entrySet()) {
            String name = to.getKey();
            NDArray values;
            if (name.endsWith("embeddings_position_embeddings")) {
                values = tilePositions(from.get(name).getArray(), reserved, to.getValue().getArray().getShape().get(0));
            } else if (name.contains(GLOBAL_SUFFIX) && from.containsKey(name.replace(GLOBAL_SUFFIX, "_"))) {
                // query_global <- query (Longformer section 5: "copy ... to initialize the global projections").
                values = from.get(name.replace(GLOBAL_SUFFIX, "_")).getArray();
                used.add(name.replace(GLOBAL_SUFFIX, "_"));
                NamedParameters.copyInto(to.getValue(), values);
                continue;
            } else if (from.containsKey(name)) {
                values = from.get(name).getArray();
            } else {
                throw new IllegalStateException("the converted model's parameter " + name + " has no source");
            }
            used.add(name);
            NamedParameters.copyInto(to.getValue(), values);
        }
        for (String name : from.keySet()) {
            if (!used.contains(name)) {
                throw new IllegalStateException("the source's parameter " + name + " has no place in the converted "
                        + "model");
            }
        }
        return target;
    }

    /**
     * Converts the model saved in {@code sourceDir} and saves the long model (with a copy of its tokenizer) in the new
     * directory {@code targetDir}, which must not exist.
     */
    public static void convert(Path sourceDir, Path targetDir, int maxLength, int window) throws IOException {
        if (Files.exists(targetDir)) {
            throw new ConfigException(targetDir + ": already exists; give a new directory (nothing was overwritten)");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            TaskModel source = ModelDirectory.load(sourceDir, manager);
            TaskModel converted = convert(source, maxLength, window, manager);
            Path tokenizer = sourceDir.resolve(ModelDirectory.TOKENIZER_FILE);
            ModelDirectory.saveNew(converted, Files.isRegularFile(tokenizer) ? tokenizer : null, targetDir);
        }
    }

    /**
     * (P, E) to (rows, E): the reserved rows as they are, then the learned rows repeated until the table is full.
     */
    static NDArray tilePositions(NDArray table, int reserved, long rows) {
        long p = table.getShape().get(0);
        NDArray learned = table.get(reserved + ":");
        NDArray out = table.get("0:" + reserved);
        long filled = reserved;
        while (filled < rows) {
            long take = Math.min(p - reserved, rows - filled);
            out = out.concat(learned.get("0:" + take), 0);
            filled += take;
        }
        return out;
    }
}
