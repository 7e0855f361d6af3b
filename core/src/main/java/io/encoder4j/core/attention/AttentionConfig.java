package io.encoder4j.core.attention;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.encoder4j.core.config.Checks;
import io.encoder4j.core.config.ConfigLoader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Configuration of one self-attention block, chosen by {@code type} from the {@link AttentionRegistry}. Only the
 * keys of the chosen type may be set (the others stay {@code null} and are not written out); unset keys of the type
 * take the defaults below. {@link #validateFor} checks the settings against the model they are used in. The keys of
 * each type are listed in {@code docs/attention.md}.
 *
 * @param type registry name of the mechanism ({@code full}, {@code sliding_window}, ...)
 * @param dropout dropout on the attention probabilities (0 disables it)
 * @param window sliding window span w: each query sees the keys within w/2 positions on either side (Longformer's
 *     {@code attention_window}); also the local window of {@code long_short}
 * @param layerWindows one window per layer instead of {@code window} (Longformer uses growing windows)
 * @param dilation gap between attended keys, one value for every head or one per head (Longformer's dilated heads)
 * @param local the exact pattern that {@code global} attention adds global tokens to
 * @param numBlocks BlockBERT: how many blocks the maximum length is cut into
 * @param blockSize BigBird block length
 * @param numRandomBlocks BigBird random key blocks per query block
 * @param numGlobalBlocks BigBird leading blocks that attend to and are attended by everything (ITC)
 * @param projectedLength Linformer k
 * @param sharing Linformer projection sharing: {@code per_head}, {@code heads}, {@code key_value} or {@code layers}
 * @param numLandmarks Nyströmformer landmarks
 * @param pinvIterations Nyströmformer Newton–Schulz iterations for the pseudo-inverse
 * @param pinvInit Nyströmformer start of that iteration: {@code matrix} scales each (batch, head) matrix by its own
 *     norms (the paper's Z0); {@code batch} divides by the largest column sum over the whole batch and every head,
 *     as transformers' default ({@code inv_coeff_init_option: false}) does, which makes a sequence's output depend
 *     on the rest of its batch
 * @param convKernel Nyströmformer depthwise convolution on the values (0 disables it)
 * @param rank Long-Short Transformer rank r of the dynamic projection
 * @param numFeatures Performer / RFA random features
 * @param kernel Performer kernel: {@code softmax} or {@code relu}
 * @param redrawInterval Performer: training forward passes between feature redraws (0 never redraws)
 * @param gate RFA: learned recency gate
 * @param numHashes Reformer hash rounds
 * @param numBuckets Reformer buckets per round (even, or 1)
 * @param chunkSize Reformer chunk length
 * @param seed seed of the random parts (permutations, random blocks, features, rotations); mixed with the layer
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AttentionConfig(
        String type,
        Float dropout,
        Integer window,
        List<Integer> layerWindows,
        List<Integer> dilation,
        String local,
        Integer numBlocks,
        Integer blockSize,
        Integer numRandomBlocks,
        Integer numGlobalBlocks,
        Integer projectedLength,
        String sharing,
        Integer numLandmarks,
        Integer pinvIterations,
        String pinvInit,
        Integer convKernel,
        Integer rank,
        Integer numFeatures,
        String kernel,
        Integer redrawInterval,
        Boolean gate,
        Integer numHashes,
        Integer numBuckets,
        Integer chunkSize,
        Long seed) {

    public static final String DEFAULT_TYPE = "full";

    public static final List<String> LINFORMER_SHARING = List.of("per_head", "heads", "key_value", "layers");
    public static final List<String> PERFORMER_KERNELS = List.of("softmax", "relu");
    public static final List<String> PINV_INITS = List.of("matrix", "batch");

    public AttentionConfig {
        type = type == null ? DEFAULT_TYPE : type;
        AttentionRegistry.requireKnown("type", type);
        String localType = local == null ? "sliding_window" : local;
        if (!List.of("sliding_window", "blockwise", "bigbird", "full").contains(localType)) {
            throw new IllegalArgumentException("local must be one of sliding_window, blockwise, bigbird, full "
                    + "(the exact patterns global tokens can be added to), got '" + localType + "'");
        }
        Set<String> keys = keysOf(type, localType);
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("window", window);
        given.put("layer_windows", layerWindows);
        given.put("dilation", dilation);
        given.put("local", local);
        given.put("num_blocks", numBlocks);
        given.put("block_size", blockSize);
        given.put("num_random_blocks", numRandomBlocks);
        given.put("num_global_blocks", numGlobalBlocks);
        given.put("projected_length", projectedLength);
        given.put("sharing", sharing);
        given.put("num_landmarks", numLandmarks);
        given.put("pinv_iterations", pinvIterations);
        given.put("pinv_init", pinvInit);
        given.put("conv_kernel", convKernel);
        given.put("rank", rank);
        given.put("num_features", numFeatures);
        given.put("kernel", kernel);
        given.put("redraw_interval", redrawInterval);
        given.put("gate", gate);
        given.put("num_hashes", numHashes);
        given.put("num_buckets", numBuckets);
        given.put("chunk_size", chunkSize);
        given.put("seed", seed);
        for (Map.Entry<String, Object> e : given.entrySet()) {
            if (e.getValue() != null && !keys.contains(e.getKey())) {
                throw new IllegalArgumentException(e.getKey() + " does not apply to attention type '" + type + "'"
                        + (keys.isEmpty() ? " (it takes only type and dropout)"
                                : " (its keys: " + String.join(", ", keys) + ")"));
            }
        }
        dropout = dropout == null ? 0.1f : dropout;
        Checks.probability("dropout", dropout);
        if (keys.contains("local")) {
            local = localType;
        }
        if (keys.contains("window")) {
            window = window == null ? 256 : window;
            if (window < 2 || window % 2 != 0) {
                throw new IllegalArgumentException("window must be an even number >= 2 (w/2 keys on each side), got "
                        + window);
            }
            if (layerWindows != null) {
                for (Integer w : layerWindows) {
                    if (w == null || w < 2 || w % 2 != 0) {
                        throw new IllegalArgumentException("layer_windows must hold even numbers >= 2, got " + w);
                    }
                }
                layerWindows = List.copyOf(layerWindows);
            }
        }
        if (keys.contains("dilation")) {
            dilation = dilation == null ? List.of(1) : List.copyOf(dilation);
            for (Integer d : dilation) {
                Checks.positive("dilation", d);
            }
        }
        if (keys.contains("num_blocks")) {
            numBlocks = Checks.positive("num_blocks", numBlocks == null ? 2 : numBlocks);
        }
        if (keys.contains("block_size")) {
            blockSize = Checks.positive("block_size", blockSize == null ? 64 : blockSize);
            numRandomBlocks = Checks.nonNegative("num_random_blocks", numRandomBlocks == null ? 3 : numRandomBlocks);
            numGlobalBlocks = Checks.nonNegative("num_global_blocks", numGlobalBlocks == null ? 1 : numGlobalBlocks);
        }
        if (keys.contains("projected_length")) {
            projectedLength = Checks.positive("projected_length", projectedLength == null ? 256 : projectedLength);
            sharing = sharing == null ? "heads" : sharing;
            oneOf("sharing", sharing, LINFORMER_SHARING);
        }
        if (keys.contains("num_landmarks")) {
            numLandmarks = Checks.positive("num_landmarks", numLandmarks == null ? 64 : numLandmarks);
            pinvIterations = Checks.positive("pinv_iterations", pinvIterations == null ? 6 : pinvIterations);
            pinvInit = pinvInit == null ? "matrix" : pinvInit;
            oneOf("pinv_init", pinvInit, PINV_INITS);
            convKernel = Checks.nonNegative("conv_kernel", convKernel == null ? 33 : convKernel);
            if (convKernel > 0 && convKernel % 2 == 0) {
                throw new IllegalArgumentException("conv_kernel must be odd (centred on each token), got " + convKernel);
            }
        }
        if (keys.contains("rank")) {
            rank = Checks.positive("rank", rank == null ? 32 : rank);
        }
        if (keys.contains("num_features")) {
            numFeatures = Checks.positive("num_features", numFeatures == null ? 256 : numFeatures);
        }
        if (keys.contains("kernel")) {
            kernel = kernel == null ? "softmax" : kernel;
            oneOf("kernel", kernel, PERFORMER_KERNELS);
            redrawInterval = Checks.nonNegative("redraw_interval", redrawInterval == null ? 1000 : redrawInterval);
        }
        if (keys.contains("gate")) {
            gate = gate != null && gate;
        }
        if (keys.contains("num_hashes")) {
            numHashes = Checks.positive("num_hashes", numHashes == null ? 2 : numHashes);
            numBuckets = Checks.positive("num_buckets", numBuckets == null ? 64 : numBuckets);
            if (numBuckets != 1 && numBuckets % 2 != 0) {
                throw new IllegalArgumentException("num_buckets must be 1 or even (random rotations give +/- pairs), "
                        + "got " + numBuckets);
            }
            chunkSize = Checks.positive("chunk_size", chunkSize == null ? 64 : chunkSize);
        }
        if (keys.contains("seed")) {
            seed = seed == null ? 0L : seed;
        }
    }

    /** The keys a type takes besides {@code type} and {@code dropout}. */
    static Set<String> keysOf(String type, String local) {
        Set<String> keys = new TreeSet<>(AttentionRegistry.keysOf(type));
        if (keys.contains("local")) {
            keys.addAll(AttentionRegistry.keysOf(local));
        }
        return keys;
    }

    private static void oneOf(String key, String value, List<String> allowed) {
        if (!allowed.contains(value)) {
            throw new IllegalArgumentException(key + " must be one of " + String.join(", ", allowed) + ", got '"
                    + value + "'");
        }
    }

    /** Full attention with the given dropout. */
    public static AttentionConfig full(float dropout) {
        return of(DEFAULT_TYPE, "dropout", dropout);
    }

    /**
     * A config from the type and alternating snake_case keys and values, as they would be written in YAML, e.g.
     * {@code of("sliding_window", "window", 64, "dilation", List.of(1, 2))}.
     */
    public static AttentionConfig of(String type, Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("type", type);
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        try {
            return ConfigLoader.mapper().convertValue(map, AttentionConfig.class);
        } catch (IllegalArgumentException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw root instanceof IllegalArgumentException iae ? iae : e;
        }
    }

    /** The window of one layer. */
    public int windowOf(int layerIndex) {
        return layerWindows == null ? window : layerWindows.get(layerIndex);
    }

    /** The dilation of one head. */
    public int dilationOf(int head) {
        return dilation.size() == 1 ? dilation.get(0) : dilation.get(head);
    }

    /**
     * Checks the settings against the model: messages start with {@code attention.<key>} so that the config loader
     * can point at the line.
     *
     * @param maxLength the longest sequence the model takes
     */
    public void validateFor(int hiddenSize, int numHeads, int maxLength, int numLayers) {
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException(
                    "attention: hidden_size " + hiddenSize + " must be divisible by num_heads " + numHeads);
        }
        if (window != null && window > maxLength) {
            throw new IllegalArgumentException("attention.window " + window + " is larger than the maximum length "
                    + maxLength);
        }
        if (layerWindows != null) {
            if (layerWindows.size() != numLayers) {
                throw new IllegalArgumentException("attention.layer_windows has " + layerWindows.size()
                        + " entries for " + numLayers + " layers");
            }
            for (int w : layerWindows) {
                if (w > maxLength) {
                    throw new IllegalArgumentException("attention.layer_windows: window " + w
                            + " is larger than the maximum length " + maxLength);
                }
            }
        }
        if (dilation != null && dilation.size() != 1 && dilation.size() != numHeads) {
            throw new IllegalArgumentException("attention.dilation has " + dilation.size() + " values for "
                    + numHeads + " heads (give one value, or one per head)");
        }
        atMost("num_blocks", numBlocks, maxLength);
        atMost("block_size", blockSize, maxLength);
        atMost("projected_length", projectedLength, maxLength);
        atMost("num_landmarks", numLandmarks, maxLength);
        atMost("rank", rank, maxLength);
        atMost("chunk_size", chunkSize, maxLength);
    }

    private static void atMost(String key, Integer value, int maxLength) {
        if (value != null && value > maxLength) {
            throw new IllegalArgumentException("attention." + key + " " + value + " is larger than the maximum length "
                    + maxLength);
        }
    }
}
