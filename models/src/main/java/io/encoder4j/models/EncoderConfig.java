package io.encoder4j.models;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnore;
import io.encoder4j.core.attention.AttentionConfig;
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
        @JsonFormat(with = JsonFormat.Feature.WRITE_SINGLE_ELEM_ARRAYS_UNWRAPPED) List<AttentionConfig> attention) {

    /** RoBERTa's initialisation of the position table: N(0, initializer_range) like every other weight. */
    public static final String POSITION_INIT_NORMAL = "normal";
    /** Sinusoids scaled to the same spread ({@link SinusoidalInitializer}). */
    public static final String POSITION_INIT_SINUSOIDAL = "sinusoidal";

    /** Every field at its default. */
    public static EncoderConfig defaults() {
        return new EncoderConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null);
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
        if (maxPositionEmbeddings != null) {
            // The fields are assigned only after this constructor body: pass the values.
            validateAttention(attention, hiddenSize, numHeads, numLayers, maxPositionEmbeddings - padTokenId - 1);
        }
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
                layerNormEps, initializerRange, padTokenId, positionInit, preNorm, feedForward, attention);
    }

    /** True when every derived field is set, so a model can be built. */
    @JsonIgnore
    public boolean isResolved() {
        return vocabSize != null && maxPositionEmbeddings != null;
    }
}
