package io.encoder4j.models;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.attention.RotaryEmbedding;
import io.encoder4j.core.config.Checks;
import io.encoder4j.core.layers.FeedForward;
import java.util.List;

/**
 * Architecture of a RoBERTa-style encoder. {@code null} fields take the defaults below (a quickstart-sized model);
 * {@code vocabSize} and {@code maxPositionEmbeddings} may stay {@code null} in a job file, where they are derived
 * from the tokenizer and the sequence length.
 *
 * @param preNorm LayerNorm before each sublayer (and once after the last layer) instead of RoBERTa's after
 * @param maxPositionEmbeddings rows of the position table: RoBERTa numbers positions from {@code padTokenId + 1},
 *     so it must be at least the sequence length + 2
 * @param feedForward {@code gelu} (BERT/RoBERTa) or {@code geglu} (gated, as ModernBERT; the input projection is
 *     2 x intermediate_size wide)
 * @param attention the attention of every layer: one spec for all layers, or a list that layer i takes entry
 *     i mod size of, so {@code [sliding, sliding, full]} puts full attention in every third layer (ModernBERT's
 *     pattern) at any depth, and a list of num_layers specs sets each layer
 * @param positionEncoding {@code learned} (RoBERTa's absolute table, numbered from pad + 1), {@code rope} (rotary
 *     embeddings of queries and keys in every attention layer, no table) or {@code axial} (Reformer's factorised
 *     table); see docs/layers.md. {@code max_position_embeddings} sets the longest input for all three.
 * @param ropeTheta the base of the rotary frequencies (rope only; default 10000)
 * @param axialPosShape (n1, n2) with n1 n2 at least the longest input (axial only; default derived from it)
 * @param axialPosEmbdsDim (d1, d2) with d1 + d2 = hidden_size (axial only; default an even split)
 * @param feedForwardChunkSize positions per chunk of each layer's position-wise part (0: no chunking)
 * @param reversible reversible residual layers (Reformer) that recompute activations in the backward pass; needs
 *     pre_norm: true
 * @param typeVocabSize rows of the token-type table (default 1, RoBERTa's single row). Inputs without token types
 *     use row 0; BigBird checkpoints have 2, and BigBird's question-answering head gives the context type 1
 *     (docs/interop.md)
 */
public record EncoderConfig(
        Integer vocabSize,
        Integer hiddenSize,
        Integer numLayers,
        Integer numHeads,
        Integer intermediateSize,
        Integer maxPositionEmbeddings,
        Float dropout,
        Float layerNormEps,
        Float initializerRange,
        Integer padTokenId,
        String positionInit,
        Boolean preNorm,
        String feedForward,
        @JsonFormat(with = JsonFormat.Feature.WRITE_SINGLE_ELEM_ARRAYS_UNWRAPPED) List<AttentionConfig> attention,
        String positionEncoding,
        @JsonInclude(JsonInclude.Include.NON_NULL) Float ropeTheta,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<Integer> axialPosShape,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<Integer> axialPosEmbdsDim,
        Integer feedForwardChunkSize,
        Boolean reversible,
        Integer typeVocabSize) {

    /** RoBERTa's initialisation of the position table: N(0, initializer_range) like every other weight. */
    public static final String POSITION_INIT_NORMAL = "normal";
    /** Sinusoids scaled to the same spread ({@link SinusoidalInitializer}). */
    public static final String POSITION_INIT_SINUSOIDAL = "sinusoidal";

    /** RoBERTa's learned absolute position table. */
    public static final String POSITION_LEARNED = "learned";
    /** Rotary position embeddings of queries and keys (RoFormer). */
    public static final String POSITION_ROPE = "rope";
    /** Reformer's axial (factorised) position table. */
    public static final String POSITION_AXIAL = "axial";
    public static final List<String> POSITION_ENCODINGS = List.of(POSITION_LEARNED, POSITION_ROPE, POSITION_AXIAL);

    /** Every field at its default. */
    public static EncoderConfig defaults() {
        return new EncoderConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The fields of the first version, every later one at its default. */
    public EncoderConfig(Integer vocabSize, Integer hiddenSize, Integer numLayers, Integer numHeads,
            Integer intermediateSize, Integer maxPositionEmbeddings, Float dropout, Float layerNormEps,
            Float initializerRange, Integer padTokenId, String positionInit, Boolean preNorm, String feedForward,
            List<AttentionConfig> attention) {
        this(vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositionEmbeddings, dropout,
                layerNormEps, initializerRange, padTokenId, positionInit, preNorm, feedForward, attention, null, null,
                null, null, null, null, null);
    }

    /** The fields before {@code type_vocab_size}, which takes its default (one token type). */
    public EncoderConfig(Integer vocabSize, Integer hiddenSize, Integer numLayers, Integer numHeads,
            Integer intermediateSize, Integer maxPositionEmbeddings, Float dropout, Float layerNormEps,
            Float initializerRange, Integer padTokenId, String positionInit, Boolean preNorm, String feedForward,
            List<AttentionConfig> attention, String positionEncoding, Float ropeTheta, List<Integer> axialPosShape,
            List<Integer> axialPosEmbdsDim, Integer feedForwardChunkSize, Boolean reversible) {
        this(vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositionEmbeddings, dropout,
                layerNormEps, initializerRange, padTokenId, positionInit, preNorm, feedForward, attention,
                positionEncoding, ropeTheta, axialPosShape, axialPosEmbdsDim, feedForwardChunkSize, reversible, null);
    }

    public EncoderConfig {
        hiddenSize = hiddenSize == null ? 256 : hiddenSize;
        numLayers = numLayers == null ? 4 : numLayers;
        numHeads = numHeads == null ? 4 : numHeads;
        intermediateSize = intermediateSize == null ? 4 * hiddenSize : intermediateSize;
        dropout = dropout == null ? 0.1f : dropout;
        layerNormEps = layerNormEps == null ? 1e-5f : layerNormEps;
        initializerRange = initializerRange == null ? 0.02f : initializerRange;
        padTokenId = padTokenId == null ? 1 : padTokenId;
        positionInit = positionInit == null ? POSITION_INIT_NORMAL : positionInit;
        preNorm = preNorm != null && preNorm;
        feedForward = feedForward == null ? FeedForward.GELU : feedForward;
        if (!feedForward.equals(FeedForward.GELU) && !feedForward.equals(FeedForward.GEGLU)) {
            throw new IllegalArgumentException("feed_forward must be '" + FeedForward.GELU + "' or '"
                    + FeedForward.GEGLU + "', got '" + feedForward + "'");
        }
        attention = attention == null || attention.isEmpty()
                ? List.of(AttentionConfig.of(AttentionConfig.DEFAULT_TYPE)) : List.copyOf(attention);
        if (!positionInit.equals(POSITION_INIT_NORMAL) && !positionInit.equals(POSITION_INIT_SINUSOIDAL)) {
            throw new IllegalArgumentException("position_init must be '" + POSITION_INIT_NORMAL + "' or '"
                    + POSITION_INIT_SINUSOIDAL + "', got '" + positionInit + "'");
        }
        if (vocabSize != null) {
            Checks.positive("vocab_size", vocabSize);
        }
        if (maxPositionEmbeddings != null) {
            Checks.positive("max_position_embeddings", maxPositionEmbeddings);
        }
        Checks.positive("hidden_size", hiddenSize);
        Checks.positive("num_layers", numLayers);
        Checks.positive("num_heads", numHeads);
        Checks.positive("intermediate_size", intermediateSize);
        Checks.probability("dropout", dropout);
        Checks.positive("layer_norm_eps", layerNormEps);
        Checks.positive("initializer_range", initializerRange);
        Checks.nonNegative("pad_token_id", padTokenId);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException(
                    "hidden_size " + hiddenSize + " must be divisible by num_heads " + numHeads);
        }
        if (attention.size() > numLayers) {
            throw new IllegalArgumentException("attention has " + attention.size() + " entries for " + numLayers
                    + " layers (a shorter list repeats over the layers)");
        }
        positionEncoding = positionEncoding == null ? POSITION_LEARNED : positionEncoding;
        if (!POSITION_ENCODINGS.contains(positionEncoding)) {
            throw new IllegalArgumentException("position_encoding must be one of " + String.join(", ",
                    POSITION_ENCODINGS) + ", got '" + positionEncoding + "'");
        }
        if (!positionEncoding.equals(POSITION_LEARNED) && positionInit.equals(POSITION_INIT_SINUSOIDAL)) {
            throw new IllegalArgumentException("position_init: 'sinusoidal' initialises the learned position table, "
                    + "which position_encoding '" + positionEncoding + "' does not have");
        }
        if (positionEncoding.equals(POSITION_ROPE)) {
            ropeTheta = Checks.positive("rope_theta", ropeTheta == null ? (float) RotaryEmbedding.DEFAULT_THETA
                    : ropeTheta);
            if ((hiddenSize / numHeads) % 2 != 0) {
                throw new IllegalArgumentException("position_encoding: 'rope' rotates pairs of coordinates and needs "
                        + "an even head size (hidden_size / num_heads), got " + hiddenSize / numHeads);
            }
        } else if (ropeTheta != null) {
            throw new IllegalArgumentException("rope_theta applies only to position_encoding: 'rope' (this model's "
                    + "is '" + positionEncoding + "')");
        }
        Integer longest = maxPositionEmbeddings == null ? null : maxPositionEmbeddings - padTokenId - 1;
        if (longest != null && longest < 1) {
            throw new IllegalArgumentException("max_position_embeddings " + maxPositionEmbeddings + " leaves no "
                    + "position: RoBERTa numbers tokens from pad_token_id + 1 = " + (padTokenId + 1));
        }
        if (positionEncoding.equals(POSITION_AXIAL)) {
            axialPosEmbdsDim = axialPosEmbdsDim == null
                    ? List.of(hiddenSize / 2, hiddenSize - hiddenSize / 2) : List.copyOf(axialPosEmbdsDim);
            pair("axial_pos_embds_dim", axialPosEmbdsDim);
            if (axialPosEmbdsDim.get(0) + axialPosEmbdsDim.get(1) != hiddenSize) {
                throw new IllegalArgumentException("axial_pos_embds_dim " + axialPosEmbdsDim + " must sum to "
                        + "hidden_size " + hiddenSize + " (position p is the concatenation of both axes' rows)");
            }
            if (axialPosShape == null && longest != null) {
                axialPosShape = defaultAxialShape(longest);
            }
            if (axialPosShape != null) {
                axialPosShape = List.copyOf(axialPosShape);
                pair("axial_pos_shape", axialPosShape);
                long cells = (long) axialPosShape.get(0) * axialPosShape.get(1);
                if (longest != null && cells < longest) {
                    throw new IllegalArgumentException("axial_pos_shape " + axialPosShape + " has " + cells
                            + " positions, fewer than the longest input of " + longest + " tokens "
                            + "(max_position_embeddings " + maxPositionEmbeddings + " - pad_token_id - 1)");
                }
            }
        } else if (axialPosShape != null || axialPosEmbdsDim != null) {
            throw new IllegalArgumentException((axialPosShape != null ? "axial_pos_shape" : "axial_pos_embds_dim")
                    + " applies only to position_encoding: 'axial' (this model's is '" + positionEncoding + "')");
        }
        feedForwardChunkSize = Checks.nonNegative("feed_forward_chunk_size",
                feedForwardChunkSize == null ? 0 : feedForwardChunkSize);
        reversible = reversible != null && reversible;
        typeVocabSize = Checks.positive("type_vocab_size", typeVocabSize == null ? 1 : typeVocabSize);
        if (reversible && !preNorm) {
            throw new IllegalArgumentException("reversible: true needs pre_norm: true (a reversible layer adds "
                    + "LayerNorm-ed residual functions to two streams; a LayerNorm on the stream itself cannot be "
                    + "inverted)");
        }
        if (maxPositionEmbeddings != null) {
            // The fields are assigned only after this constructor body: pass the values.
            validateAttention(attention, hiddenSize, numHeads, numLayers, longest);
        }
    }

    /**
     * Reformer's factorisation of the longest input L: n2 the smallest power of two with n2^2 >= L, n1 = ceil(L / n2)
     * (transformers' enwik8 model uses (128, 512) for 65536 tokens; this keeps both axes near sqrt(L)).
     */
    static List<Integer> defaultAxialShape(int longest) {
        int n2 = 1;
        while ((long) n2 * n2 < longest) {
            n2 *= 2;
        }
        return List.of((longest + n2 - 1) / n2, n2);
    }

    private static void pair(String key, List<Integer> values) {
        if (values.size() != 2) {
            throw new IllegalArgumentException(key + " must be a list of two positive integers, got " + values);
        }
        for (Integer v : values) {
            Checks.positive(key, v);
        }
    }

    /** True when the encoder has the learned position table (and not rotary or axial positions). */
    @JsonIgnore
    public boolean learnedPositions() {
        return positionEncoding.equals(POSITION_LEARNED);
    }

    /** The attention of layer {@code layer}: entry layer mod size of the list. */
    public AttentionConfig attentionOf(int layer) {
        return attention.get(layer % attention.size());
    }

    /**
     * Checks every attention spec against a maximum length; messages name the key as {@code attention.<key>}, or
     * {@code attention[i].<key>} for an entry of a list.
     */
    public void validateAttention(int maxLength) {
        validateAttention(attention, hiddenSize, numHeads, numLayers, maxLength);
    }

    private static void validateAttention(List<AttentionConfig> attention, int hiddenSize, int numHeads,
            int numLayers, int maxLength) {
        for (int i = 0; i < attention.size(); i++) {
            try {
                attention.get(i).validateFor(hiddenSize, numHeads, maxLength, numLayers);
            } catch (IllegalArgumentException e) {
                if (attention.size() == 1) {
                    throw e;
                }
                throw new IllegalArgumentException(e.getMessage().replaceFirst("^attention", "attention[" + i + "]"),
                        e);
            }
        }
    }

    /** The longest input in tokens: RoBERTa position ids start after the padding id. */
    @JsonIgnore
    public int maxSequenceLength() {
        return maxPositionEmbeddings - padTokenId - 1;
    }

    /** Fills what a job derives: the vocabulary of its tokenizer and room for its sequence length. */
    public EncoderConfig resolve(int tokenizerVocabSize, int sequenceLength) {
        int vocab = vocabSize == null ? tokenizerVocabSize : vocabSize;
        if (vocab < tokenizerVocabSize) {
            throw new IllegalArgumentException("vocab_size " + vocab
                    + " is smaller than the tokenizer's vocabulary of " + tokenizerVocabSize);
        }
        int positions = maxPositionEmbeddings == null ? sequenceLength + padTokenId + 1 : maxPositionEmbeddings;
        if (positions < sequenceLength + padTokenId + 1) {
            throw new IllegalArgumentException("max_position_embeddings " + positions + " is too small for "
                    + "sequences of " + sequenceLength + " tokens (needs " + (sequenceLength + padTokenId + 1) + ")");
        }
        return new EncoderConfig(vocab, hiddenSize, numLayers, numHeads, intermediateSize, positions, dropout,
                layerNormEps, initializerRange, padTokenId, positionInit, preNorm, feedForward, attention,
                positionEncoding, ropeTheta, axialPosShape, axialPosEmbdsDim, feedForwardChunkSize, reversible,
                typeVocabSize);
    }

    /** True when every derived field is set, so a model can be built. */
    @JsonIgnore
    public boolean isResolved() {
        return vocabSize != null && maxPositionEmbeddings != null;
    }
}
