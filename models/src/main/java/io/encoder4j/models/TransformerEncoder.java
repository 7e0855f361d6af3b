package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.encoder4j.core.attention.AttentionBuild;
import io.encoder4j.core.attention.AttentionContext;
import io.encoder4j.core.attention.AttentionRegistry;
import io.encoder4j.core.attention.RotaryEmbedding;
import io.encoder4j.core.attention.SelfAttention;
import io.encoder4j.core.layers.FeedForward;
import io.encoder4j.core.layers.ReversibleStack;
import io.encoder4j.core.layers.TransformerLayer;
import io.encoder4j.core.tensor.Scalars;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A RoBERTa-style encoder: embeddings and a stack of post-LN or pre-LN layers whose attention comes from the
 * registry, with learned, rotary or axial positions ({@link RobertaEmbeddings}, {@link RotaryEmbedding}), and,
 * optionally, reversible residual layers ({@link ReversibleStack}). Block inputs:
 * {@code [ids (B,N) INT64, attentionMask (B,N) 1/0]}; output {@code [hidden (B,N,E)]}.
 *
 * <p><b>Backward passes.</b> Train a model that contains this encoder with {@link #backward} instead of
 * {@code collector.backward(loss)}: for ordinary layers it is the same call; for reversible layers it also runs the
 * layer-by-layer backward pass that recomputes the activations the forward pass did not keep.
 */
public final class TransformerEncoder extends AbstractBlock {

    private static final byte VERSION = 1;

    private final EncoderConfig config;
    private final RobertaEmbeddings embeddings;
    private final List<TransformerLayer> layers;
    /** Only for reversible encoders. */
    private final ReversibleStack reversibleStack;
    /** Only for pre-LN stacks, whose residual stream is never normalised otherwise. */
    private final LayerNorm finalNorm;
    private boolean recomputeActivations = true;
    /** The last training forward pass of a reversible stack that still owes its layers' backward pass. */
    private Pending pending;

    /** What {@link #backward} needs of a reversible forward pass: the stack's input and its tape. */
    private record Pending(NDArray input, ReversibleStack.Tape tape) {}

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
                    config.layerNormEps(), config.preNorm(), config.feedForwardChunkSize())));
        }
        this.layers = Collections.unmodifiableList(built);
        this.reversibleStack = config.reversible() ? new ReversibleStack(layers) : null;
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
     * For reversible encoders: whether a training forward pass drops the layers' activations and {@link #backward}
     * recomputes them (the default), or keeps them like ordinary layers (the same two-stream model and gradients,
     * with memory growing with depth; for tests and benchmarks). No effect on other encoders.
     */
    public void setRecomputeActivations(boolean recompute) {
        this.recomputeActivations = recompute;
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
        return encode(ps, ids, attentionMask, globalAttentionMask, null, training);
    }

    /**
     * @param ids (B, N) INT64
     * @param attentionMask (B, N), 1 at tokens and 0 at padding
     * @param globalAttentionMask (B, N), 1 at tokens with global attention, or {@code null}
     * @param tokenTypes (B, N) INT64 in [0, type_vocab_size), or {@code null} for type 0 everywhere
     * @return (B, N, E)
     */
    public NDArray encode(ParameterStore ps, NDArray ids, NDArray attentionMask, NDArray globalAttentionMask,
            NDArray tokenTypes, boolean training) {
        NDArray x = embeddings.embed(ps, ids, tokenTypes, training);
        AttentionContext ctx = AttentionContext.fromMasks(attentionMask, globalAttentionMask, x.getDataType());
        if (EncoderConfig.POSITION_ROPE.equals(config.positionEncoding())) {
            ctx = ctx.withRotary(RotaryEmbedding.of(embeddings.positionRanks(ids),
                    config.hiddenSize() / config.numHeads(), config.ropeTheta(), x.getDataType()));
        }
        if (reversibleStack != null) {
            x = reversibleEncode(ps, x, ctx, training);
        } else {
            for (TransformerLayer layer : layers) {
                x = layer.apply(ps, x, ctx, training);
            }
        }
        return finalNorm == null ? x : finalNorm.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    /**
     * The two streams start as copies of the embeddings, [x, x], as in transformers' {@code ReformerEncoder}; they
     * end averaged, (y1 + y2) / 2, where Reformer concatenates them to width 2E: our heads (and the tied decoder)
     * take width E, and the average needs no parameter.
     */
    private NDArray reversibleEncode(ParameterStore ps, NDArray x, AttentionContext ctx, boolean training) {
        NDArray[] y;
        if (training && recomputeActivations && JniUtils.isGradMode()) {
            if (pending != null) {
                // Otherwise the layers of the earlier pass would silently get no gradient.
                pending = null;
                throw new IllegalStateException("the previous training pass of this reversible encoder was never "
                        + "back-propagated through TransformerEncoder.backward(collector, loss); "
                        + "collector.backward(loss) alone gives its layers no gradient");
            }
            ReversibleStack.Tape tape = reversibleStack.forwardWithoutActivations(ps, x, x, ctx, training);
            pending = new Pending(x, tape);
            y = new NDArray[] {tape.y1(), tape.y2()};
        } else {
            y = reversibleStack.forward(ps, x, x, ctx, training);
        }
        return Scalars.mul(y[0].add(y[1]), 0.5);
    }

    /**
     * Back-propagates a loss computed from this encoder's last forward pass: {@code collector.backward(loss)}, then,
     * when that pass was a training pass of reversible layers without stored activations, the layers' own backward
     * pass ({@link ReversibleStack#backward}) and the embeddings'. Use it for every model that contains this
     * encoder, inside the step's one gradient collector.
     */
    public void backward(GradientCollector collector, NDArray loss) {
        Pending owed = pending;
        pending = null;
        collector.backward(loss);
        if (owed != null) {
            NDArray[] dx = reversibleStack.backward(owed.tape());
            // Both streams start as the embeddings: their gradients add up.
            ReversibleStack.vectorJacobian(owed.input(), dx[0].add(dx[1]));
        }
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
