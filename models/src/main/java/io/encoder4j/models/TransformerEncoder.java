package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.attention.AttentionBuild;
import io.encoder4j.core.attention.AttentionContext;
import io.encoder4j.core.attention.AttentionRegistry;
import io.encoder4j.core.attention.SelfAttention;
import io.encoder4j.core.layers.FeedForward;
import io.encoder4j.core.layers.TransformerLayer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A RoBERTa-style encoder: embeddings and a stack of post-LN layers whose attention comes from the registry.
 * Block inputs: {@code [ids (B,N) INT64, attentionMask (B,N) 1/0]}; output {@code [hidden (B,N,E)]}.
 */
public final class TransformerEncoder extends AbstractBlock {

    private static final byte VERSION = 1;

    private final EncoderConfig config;
    private final RobertaEmbeddings embeddings;
    private final List<TransformerLayer> layers;
    /** Only for pre-LN stacks, whose residual stream is never normalised otherwise. */
    private final LayerNorm finalNorm;

    public TransformerEncoder(EncoderConfig config) {
        super(VERSION);
        if (!config.isResolved()) {
            throw new IllegalArgumentException("vocab_size and max_position_embeddings must be set to build a model");
        }
        this.config = config;
        this.embeddings = addChildBlock("embeddings", new RobertaEmbeddings(config));
        List<TransformerLayer> built = new ArrayList<>();
        SelfAttention first = null;
        for (int i = 0; i < config.numLayers(); i++) {
            SelfAttention attention = AttentionRegistry.create(new AttentionBuild(config.attentionOf(i),
                    config.hiddenSize(), config.numHeads(), config.maxSequenceLength(), i, first));
            first = first == null ? attention : first;
            FeedForward feedForward = new FeedForward(config.hiddenSize(), config.intermediateSize(),
                    config.feedForward().equals(FeedForward.GEGLU));
            built.add(addChildBlock("layer" + i, new TransformerLayer(attention, feedForward, config.dropout(),
                    config.layerNormEps(), config.preNorm())));
        }
        this.layers = Collections.unmodifiableList(built);
        this.finalNorm = config.preNorm()
                ? addChildBlock("final_norm", TransformerLayer.layerNorm(config.layerNormEps())) : null;
    }

    public EncoderConfig config() {
        return config;
    }

    public RobertaEmbeddings embeddings() {
        return embeddings;
    }

    /**
     * @param ids (B, N) INT64
     * @param attentionMask (B, N), 1 at tokens and 0 at padding
     * @return (B, N, E)
     */
    public NDArray encode(ParameterStore ps, NDArray ids, NDArray attentionMask, boolean training) {
        return encode(ps, ids, attentionMask, null, training);
    }

    /**
     * @param ids (B, N) INT64
     * @param attentionMask (B, N), 1 at tokens and 0 at padding
     * @param globalAttentionMask (B, N), 1 at tokens with global attention, or {@code null}
     * @return (B, N, E)
     */
    public NDArray encode(ParameterStore ps, NDArray ids, NDArray attentionMask, NDArray globalAttentionMask,
            boolean training) {
        NDArray x = embeddings.embed(ps, ids, training);
        AttentionContext ctx = AttentionContext.fromMasks(attentionMask, globalAttentionMask, x.getDataType());
        for (TransformerLayer layer : layers) {
            x = layer.apply(ps, x, ctx, training);
        }
        return finalNorm == null ? x : finalNorm.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(encode(ps, inputs.get(0), inputs.get(1), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.hiddenSize())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape ids = inputShapes[0];
        embeddings.initialize(manager, dataType, ids);
        Shape hidden = ids.add(config.hiddenSize());
        Shape mask = ids;
        Shape additive = new Shape(ids.get(0), 1, 1, ids.get(1));
        for (TransformerLayer layer : layers) {
            layer.initialize(manager, dataType, hidden, mask, additive);
        }
        if (finalNorm != null) {
            finalNorm.initialize(manager, dataType, hidden);
        }
    }
}
