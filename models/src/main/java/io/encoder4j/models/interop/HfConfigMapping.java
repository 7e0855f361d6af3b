package io.encoder4j.models.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.core.layers.FeedForward;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.HeadConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Translates between {@link EncoderConfig} and a transformers {@code config.json}: which family an encoder4j model
 * exports as, the fields transformers reads, and back. Anything transformers can express that encoder4j cannot
 * compute the same way (a tanh GELU, relative positions, a decoder, untied embeddings, rescaled embeddings) is
 * rejected on import with the key named, rather than imported into a model that would compute something else.
 */
public final class HfConfigMapping {

    /** The field of an {@code encoder4j} config.json that holds the whole {@link EncoderConfig}. */
    public static final String ENCODER4J_FIELD = "encoder4j";

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfConfigMapping() {}

    /** An imported config: the family it came from and our config. */
    public record Imported(HfFamily family, EncoderConfig config) {}

    /**
     * The family an encoder4j model exports as: RoBERTa for full attention, Longformer for an undilated sliding
     * window with or without global tokens, Nyströmformer for Nyström attention with 6 iterations and a convolution; encoder4j's
     * own layout for everything else (other attention types, pre-LN, GeGLU, mixed attention per layer, rotary or axial
     * positions, reversible layers).
     */
    public static HfFamily familyOf(EncoderConfig config) {
        // The transformers families have RoBERTa's learned absolute table and plain residual layers: rotary or axial
        // positions and reversible layers compute something else.
        if (config.preNorm() || !config.feedForward().equals(FeedForward.GELU)
                || !EncoderConfig.POSITION_LEARNED.equals(config.positionEncoding())
                || Boolean.TRUE.equals(config.reversible())) {
            return HfFamily.ENCODER4J;
        }
        List<AttentionConfig> specs = config.attention();
        if (specs.stream().allMatch(a -> a.type().equals("full"))) {
            return HfFamily.ROBERTA;
        }
        if (specs.size() == 1) {
            AttentionConfig a = specs.get(0);
            if (a.type().equals("global") && "sliding_window".equals(a.local())
                    && a.dilation().stream().allMatch(d -> d == 1)) {
                return HfFamily.LONGFORMER;
            }
            if (isLocalOnlyLongformer(a)) {
                return HfFamily.LONGFORMER;
            }
            // transformers' iterative_inv runs 6 iterations from one scale for the whole batch (its default
            // inv_coeff_init_option: false; true would need its misspelt inv_init_coeff_option key).
            if (a.type().equals("nystrom") && a.pinvIterations() == 6 && "batch".equals(a.pinvInit())) {
                return HfFamily.NYSTROMFORMER;
            }
        }
        return HfFamily.ENCODER4J;
    }

    /**
     * The family a model with {@code head} exports as: its encoder's family ({@link #familyOf(EncoderConfig)}) when
     * that family's class for the head computes the same as encoder4j's head ({@link HfHeadMapping#mismatch});
     * BigBird ({@code original_full}) for full attention under a head that BigBird's class computes and RoBERTa's
     * does not (a GELU classification head, BigBird's question-answering head); otherwise encoder4j's own layout. A sliding window without global
     * tokens exports as Longformer only under the heads whose Longformer class places no global attention by itself
     * (masked LM, token classification): {@code LongformerForSequenceClassification} and
     * {@code ...ForQuestionAnswering} would put global attention on {@code <s>} or the question, which the model never
     * had.
     */
    public static HfFamily familyOf(EncoderConfig config, HeadConfig head) {
        HfFamily family = familyOf(config);
        if (head.isMaskedLm() || family == HfFamily.ENCODER4J) {
            return family;
        }
        boolean placesGlobal = head.type().equals(HeadConfig.SEQUENCE_CLASSIFICATION)
                || head.type().equals(HeadConfig.QUESTION_ANSWERING);
        if (family == HfFamily.LONGFORMER && placesGlobal && isLocalOnlyLongformer(config.attention().get(0))) {
            return HfFamily.ENCODER4J;
        }
        if (HfHeadMapping.mismatch(family, head) == null) {
            return family;
        }
        if (family == HfFamily.ROBERTA && HfHeadMapping.mismatch(HfFamily.BIG_BIRD, head) == null) {
            return HfFamily.BIG_BIRD;
        }
        return HfFamily.ENCODER4J;
    }

    /**
     * An undilated sliding window without global tokens: Longformer without global attention. It exports as
     * {@code LongformerForMaskedLM} with the global projections copied from the local ones (as transformers' own
     * RoBERTa-to-Longformer conversion starts them), which changes nothing while no global tokens are given, and
     * {@value #LOCAL_ONLY_FIELD} in config.json, so that import gives back the sliding window as long as the global
     * projections are still those copies.
     */
    static boolean isLocalOnlyLongformer(AttentionConfig a) {
        return a.type().equals("sliding_window") && a.dilation().stream().allMatch(d -> d == 1);
    }

    /** The config.json field that marks a Longformer export of a sliding window without global attention. */
    public static final String LOCAL_ONLY_FIELD = "encoder4j_local_only";

    /**
     * Rows our position table is shifted by against the family's: our row j is their row j - shift (see
     * {@link HfFamily#positionOffset}).
     */
    public static int positionShift(HfFamily family, int pad) {
        return pad + 1 - family.positionOffset(pad);
    }

    /**
     * The config.json of {@code config} as {@code family}.
     *
     * @param specials special token ids from the tokenizer ({@code bos_token_id}, {@code eos_token_id},
     *     {@code sep_token_id}), written when present
     */
    public static ObjectNode toHf(EncoderConfig config, HfFamily family, Map<String, Integer> specials) {
        return toHf(config, family, specials, null);
    }

    /**
     * As {@link #toHf(EncoderConfig, HfFamily, Map)}, starting from {@code base} (the config.json a model was
     * imported from, when it is of the same family): keys encoder4j does not own (such as Nyströmformer's
     * {@code segment_means_seq_len} or a classifier's labels) keep their values, every key it owns is rewritten.
     */
    public static ObjectNode toHf(EncoderConfig config, HfFamily family, Map<String, Integer> specials,
            JsonNode base) {
        return toHf(config, HeadConfig.maskedLm(), family, specials, base);
    }

    /**
     * As {@link #toHf(EncoderConfig, HfFamily, Map, JsonNode)} for a model with {@code head}: the class in
     * {@code architectures} is the family's for the head, and the head's keys are written by
     * {@link HfHeadMapping#toHf}.
     */
    public static ObjectNode toHf(EncoderConfig config, HeadConfig head, HfFamily family,
            Map<String, Integer> specials, JsonNode base) {
        ObjectNode c = base != null && base.isObject() && family.modelType().equals(base.path("model_type").asText())
                ? ((ObjectNode) base).deepCopy() : JSON.createObjectNode();
        // Written by the exporting library; this file is written by encoder4j, in float32.
        c.remove(List.of("transformers_version", "dtype", "torch_dtype", "_name_or_path"));
        c.putArray("architectures").add(family.className(head.type()));
        c.put("model_type", family.modelType());
        c.put("vocab_size", config.vocabSize());
        c.put("hidden_size", config.hiddenSize());
        c.put("num_hidden_layers", config.numLayers());
        c.put("num_attention_heads", config.numHeads());
        c.put("intermediate_size", config.intermediateSize());
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", decimal(config.dropout()));
        c.put("attention_probs_dropout_prob", decimal(config.attention().get(0).dropout()));
        int pad = config.padTokenId();
        int hfPositions = config.maxPositionEmbeddings() - positionShift(family, pad) - family.extraPositionRows();
        c.put("max_position_embeddings", hfPositions);
        c.put("type_vocab_size", config.typeVocabSize());
        c.put("initializer_range", decimal(config.initializerRange()));
        c.put("layer_norm_eps", decimal(config.layerNormEps()));
        c.put("pad_token_id", pad);
        specials.forEach(c::put);
        c.put("tie_word_embeddings", true);
        c.put("is_decoder", false);
        c.put("torch_dtype", "float32");
        switch (family) {
            case ROBERTA, ENCODER4J -> c.put("position_embedding_type", "absolute");
            case LONGFORMER -> {
                var windows = c.putArray("attention_window");
                for (int i = 0; i < config.numLayers(); i++) {
                    windows.add(config.attentionOf(i).windowOf(i));
                }
                if (isLocalOnlyLongformer(config.attention().get(0))) {
                    c.put(LOCAL_ONLY_FIELD, true);
                } else {
                    c.remove(LOCAL_ONLY_FIELD);
                }
            }
            case NYSTROMFORMER -> {
                AttentionConfig a = config.attention().get(0);
                c.put("num_landmarks", a.numLandmarks());
                // transformers reshapes the sequence into num_landmarks segments of this length, so inputs must
                // be exactly this long there; the longest multiple of the landmarks that fits our table.
                int max = config.maxSequenceLength();
                int kept = c.path("segment_means_seq_len").asInt(0);
                boolean fits = kept > 0 && kept <= max && kept % a.numLandmarks() == 0;
                c.put("segment_means_seq_len", fits ? kept : max - max % a.numLandmarks());
                if (a.convKernel() > 0) {
                    c.put("conv_kernel_size", a.convKernel());
                } else {
                    c.putNull("conv_kernel_size");
                }
                c.put("inv_coeff_init_option", false);
            }
            case BIG_BIRD -> {
                c.put("attention_type", "original_full");
                c.put("use_bias", true);
                c.put("rescale_embeddings", false);
            }
            default -> throw new IllegalStateException(family.toString());
        }
        if (family == HfFamily.ENCODER4J) {
            try {
                c.set(ENCODER4J_FIELD, JSON.readTree(ConfigLoader.toJson(config)));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
        HfHeadMapping.toHf(c, family, head);
        return c;
    }

    /**
     * Our config for a transformers config.json.
     *
     * @param file the config.json, named in errors
     * @throws ConfigException naming the file and key for anything unsupported
     */
    public static Imported fromHf(JsonNode c, Path file) {
        if (!c.isObject()) {
            throw new ConfigException(file + ": not a JSON object");
        }
        String modelType = c.path("model_type").asText(null);
        HfFamily family = HfFamily.ofModelType(modelType);
        if (family == null) {
            throw new ConfigException(file + ": model_type " + (modelType == null ? "is missing" : "'" + modelType
                    + "' is not supported") + " (supported: " + HfFamily.supported() + ")");
        }
        if (family == HfFamily.ENCODER4J) {
            JsonNode ours = c.get(ENCODER4J_FIELD);
            if (ours == null || !ours.isObject()) {
                throw new ConfigException(file + ": model_type encoder4j needs the '" + ENCODER4J_FIELD
                        + "' object holding the encoder config");
            }
            try {
                return new Imported(family, ConfigLoader.mapper().convertValue(ours, EncoderConfig.class));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": " + ENCODER4J_FIELD + ": " + rootMessage(e), e);
            }
        }
        Reader r = new Reader(c, file);
        String act = r.text("hidden_act", family == HfFamily.NYSTROMFORMER || family == HfFamily.BIG_BIRD
                ? "gelu_new" : "gelu");
        if (!act.equals("gelu")) {
            throw new ConfigException(file + ": hidden_act '" + act + "' is not supported: encoder4j's feed-forward "
                    + "and masked-LM head use the exact erf GELU, transformers' 'gelu'");
        }
        String positions = r.text("position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw new ConfigException(file + ": position_embedding_type '" + positions + "' is not supported "
                    + "(encoder4j has learned absolute positions)");
        }
        if (r.bool("is_decoder", false) || r.bool("add_cross_attention", false)) {
            throw new ConfigException(file + ": is_decoder / add_cross_attention: a decoder is not an encoder-only "
                    + "model");
        }
        if (!r.bool("tie_word_embeddings", true)) {
            throw new ConfigException(file + ": tie_word_embeddings false is not supported (encoder4j's masked-LM "
                    + "decoder is the word embedding matrix)");
        }
        if (family == HfFamily.BIG_BIRD && r.bool("rescale_embeddings", false)) {
            throw new ConfigException(file + ": rescale_embeddings true is not supported");
        }
        int layers = r.integer("num_hidden_layers", null);
        int pad = r.integer("pad_token_id", family == HfFamily.BIG_BIRD ? 0 : 1);
        int hfRows = r.integer("max_position_embeddings", null) + family.extraPositionRows();
        int ourRows = hfRows + positionShift(family, pad);
        float attentionDropout = (float) r.number("attention_probs_dropout_prob", 0.1);
        List<AttentionConfig> attention = new ArrayList<>();
        try {
            switch (family) {
                case ROBERTA -> attention.add(AttentionConfig.full(attentionDropout));
                case LONGFORMER -> {
                    JsonNode w = c.get("attention_window");
                    List<Integer> windows = new ArrayList<>();
                    if (w == null) {
                        windows.add(512);
                    } else if (w.isArray()) {
                        w.forEach(x -> windows.add(x.asInt()));
                        if (windows.size() != layers) {
                            throw new ConfigException(file + ": attention_window has " + windows.size()
                                    + " entries for " + layers + " layers");
                        }
                    } else {
                        windows.add(w.asInt());
                    }
                    boolean same = windows.stream().distinct().count() == 1;
                    attention.add(same
                            ? AttentionConfig.of("global", "dropout", attentionDropout, "local", "sliding_window",
                                    "window", windows.get(0))
                            : AttentionConfig.of("global", "dropout", attentionDropout, "local", "sliding_window",
                                    "window", windows.get(0), "layer_windows", windows));
                    if (r.bool(LOCAL_ONLY_FIELD, false)) {
                        // Exported from a sliding window; HfImporter keeps it only if the global projections are
                        // still copies of the local ones (withGlobalAttention otherwise).
                        attention.set(0, same
                                ? AttentionConfig.of("sliding_window", "dropout", attentionDropout, "window",
                                        windows.get(0))
                                : AttentionConfig.of("sliding_window", "dropout", attentionDropout, "window",
                                        windows.get(0), "layer_windows", windows));
                    }
                }
                case NYSTROMFORMER -> {
                    JsonNode kernel = c.get("conv_kernel_size");
                    int conv = kernel == null ? 65 : kernel.isNull() ? 0 : kernel.asInt();
                    attention.add(AttentionConfig.of("nystrom", "dropout", attentionDropout, "num_landmarks",
                            r.integer("num_landmarks", 64), "pinv_iterations", 6, "pinv_init",
                            c.path("inv_coeff_init_option").asBoolean(false) ? "matrix" : "batch", "conv_kernel", conv));
                }
                case BIG_BIRD -> {
                    String type = r.text("attention_type", "block_sparse");
                    if (type.equals("original_full")) {
                        attention.add(AttentionConfig.full(attentionDropout));
                    } else if (type.equals("block_sparse")) {
                        // Not the same computation as transformers' block-sparse attention (docs/interop.md):
                        // the weights carry over, the pattern is encoder4j's.
                        attention.add(AttentionConfig.of("bigbird", "dropout", attentionDropout, "block_size",
                                r.integer("block_size", 64), "num_random_blocks", r.integer("num_random_blocks", 3),
                                "num_global_blocks", 2));
                    } else {
                        throw new ConfigException(file + ": attention_type '" + type + "' is not supported "
                                + "(original_full or block_sparse)");
                    }
                }
                default -> throw new IllegalStateException(family.toString());
            }
            EncoderConfig config = new EncoderConfig(r.integer("vocab_size", null), r.integer("hidden_size", null),
                    layers, r.integer("num_attention_heads", null), r.integer("intermediate_size", null), ourRows,
                    (float) r.number("hidden_dropout_prob", 0.1),
                    (float) r.number("layer_norm_eps", family == HfFamily.NYSTROMFORMER ? 1e-5 : 1e-12),
                    (float) r.number("initializer_range", 0.02), pad, EncoderConfig.POSITION_INIT_NORMAL, false,
                    FeedForward.GELU, attention, null, null, null, null, null, null,
                    // transformers' default in all four families is 2 (BERT's segments A and B).
                    r.integer("type_vocab_size", 2));
            return new Imported(family, config);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + rootMessage(e), e);
        }
    }

    /** The same config with global attention over its sliding window (Longformer with its global projections). */
    public static Imported withGlobalAttention(Imported imported) {
        EncoderConfig c = imported.config();
        AttentionConfig a = c.attention().get(0);
        AttentionConfig global = a.layerWindows() == null
                ? AttentionConfig.of("global", "dropout", a.dropout(), "local", "sliding_window", "window", a.window())
                : AttentionConfig.of("global", "dropout", a.dropout(), "local", "sliding_window", "window",
                        a.window(), "layer_windows", a.layerWindows());
        return new Imported(imported.family(), new EncoderConfig(c.vocabSize(), c.hiddenSize(), c.numLayers(),
                c.numHeads(), c.intermediateSize(), c.maxPositionEmbeddings(), c.dropout(), c.layerNormEps(),
                c.initializerRange(), c.padTokenId(), c.positionInit(), c.preNorm(), c.feedForward(),
                List.of(global), c.positionEncoding(), c.ropeTheta(), c.axialPosShape(), c.axialPosEmbdsDim(),
                c.feedForwardChunkSize(), c.reversible(), c.typeVocabSize()));
    }

    /** The double whose shortest decimal is the float's (1e-5f as 1e-5, not 9.999999747378752e-6). */
    static double decimal(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    /** The message of the innermost cause: what a user can act on. */
    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** Typed reads of config.json keys with the family's defaults, errors naming the key. */
    private record Reader(JsonNode c, Path file) {

        int integer(String key, Integer fallback) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) {
                if (fallback == null) {
                    throw new ConfigException(file + ": " + key + " is missing");
                }
                return fallback;
            }
            if (!v.canConvertToInt() || !v.isIntegralNumber()) {
                throw new ConfigException(file + ": " + key + " must be an integer, got " + v);
            }
            return v.asInt();
        }

        double number(String key, double fallback) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isNumber()) {
                throw new ConfigException(file + ": " + key + " must be a number, got " + v);
            }
            return v.asDouble();
        }

        String text(String key, String fallback) {
            JsonNode v = c.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isTextual()) {
                throw new ConfigException(file + ": " + key + " must be a string, got " + v);
            }
            return v.asText();
        }

        boolean bool(String key, boolean fallback) {
            JsonNode v = c.get(key);
            return v == null || v.isNull() ? fallback : v.asBoolean();
        }
    }
}
