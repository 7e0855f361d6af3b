package io.encoder4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Token + position + token-type embeddings, then LayerNorm and dropout. The token-type table has
 * {@code type_vocab_size} rows (RoBERTa keeps a single one); inputs without token types use row 0, as transformers
 * does when no {@code token_type_ids} are passed. The position term depends on {@code position_encoding}:
 * <ul>
 *   <li>{@code learned}: a (P, E) table indexed as RoBERTa does ({@code create_position_ids_from_input_ids} in
 *       transformers): real tokens are numbered from {@code pad + 1} by their rank among non-padding tokens,
 *       padding gets {@code pad};</li>
 *   <li>{@code axial}: {@link AxialPositionEmbeddings} at position ranks 0, 1, ... ({@link #positionRanks});</li>
 *   <li>{@code rope}: none here; the encoder rotates queries and keys by the same ranks in every attention layer.</li>
 * </ul>
 */
public final class RobertaEmbeddings extends AbstractBlock {

    private static final byte VERSION = 1;

    private final Parameter wordEmbeddings;
    /** {@code null} unless the positions are learned. */
    private final Parameter positionEmbeddings;
    private final Parameter tokenTypeEmbeddings;
    private final LayerNorm norm;
    /** {@code null} unless the positions are axial. */
    private final AxialPositionEmbeddings axialPositions;
    private final float dropout;
    private final int padTokenId;

    public RobertaEmbeddings(EncoderConfig config) {
        super(VERSION);
        int e = config.hiddenSize();
        this.wordEmbeddings = addParameter(Parameter.builder().setName("word_embeddings")
                .setType(Parameter.Type.WEIGHT).optShape(new Shape(config.vocabSize(), e)).build());
        this.positionEmbeddings = config.learnedPositions() ? addParameter(Parameter.builder()
                .setName("position_embeddings").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(config.maxPositionEmbeddings(), e)).build()) : null;
        this.tokenTypeEmbeddings = addParameter(Parameter.builder().setName("token_type_embeddings")
                .setType(Parameter.Type.WEIGHT).optShape(new Shape(config.typeVocabSize(), e)).build());
        this.norm = addChildBlock("norm", LayerNorm.builder().axis(2).optEpsilon(config.layerNormEps()).build());
        this.axialPositions = EncoderConfig.POSITION_AXIAL.equals(config.positionEncoding())
                ? addChildBlock("axial_positions",
                        new AxialPositionEmbeddings(config.axialPosShape(), config.axialPosEmbdsDim()))
                : null;
        this.dropout = config.dropout();
        this.padTokenId = config.padTokenId();
    }

    /** The word embedding matrix (V, E), shared with the tied masked-LM decoder. */
    public Parameter wordEmbeddings() {
        return wordEmbeddings;
    }

    /** The learned (P, E) position table, or {@code null} when the positions are rotary or axial. */
    public Parameter positionEmbeddings() {
        return positionEmbeddings;
    }

    /**
     * @param ids (B, N) INT64 token ids
     * @return (B, N, E)
     */
    public NDArray embed(ParameterStore ps, NDArray ids, boolean training) {
        return embed(ps, ids, null, training);
    }

    /**
     * @param ids (B, N) INT64 token ids
     * @param tokenTypes (B, N) INT64 token types in [0, type_vocab_size), or {@code null} for type 0 everywhere
     * @return (B, N, E)
     */
    public NDArray embed(ParameterStore ps, NDArray ids, NDArray tokenTypes, boolean training) {
        var device = ids.getDevice();
        NDArray word = ps.getValue(wordEmbeddings, device, training);
        NDArray tokenType = ps.getValue(tokenTypeEmbeddings, device, training);
        NDArray x = Embedding.embedding(ids, word, SparseFormat.DENSE).singletonOrThrow();
        if (positionEmbeddings != null) {
            NDArray position = ps.getValue(positionEmbeddings, device, training);
            x = x.add(Embedding.embedding(positionIds(ids), position, SparseFormat.DENSE).singletonOrThrow());
        } else if (axialPositions != null) {
            x = x.add(axialPositions.embed(ps, positionRanks(ids), training));
        }
        if (tokenTypes != null) {
            x = x.add(Embedding.embedding(tokenTypes, tokenType, SparseFormat.DENSE).singletonOrThrow());
        } else {
            // Row 0 broadcast over (B, N); a one-row table is added as it is.
            x = x.add(tokenType.getShape().get(0) == 1 ? tokenType : tokenType.get("0:1"));
        }
        x = norm.forward(ps, new NDList(x), training).singletonOrThrow();
        return training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
    }

    /** (B, N) ids to (B, N) INT64 RoBERTa position ids. */
    NDArray positionIds(NDArray ids) {
        NDArray notPad = ids.neq(padTokenId).toType(DataType.INT64, false);
        return notPad.cumSum(1).mul(notPad).add(padTokenId);
    }

    /**
     * (B, N) ids to (B, N) INT64 positions counted from 0 among real tokens (RoBERTa's numbering without its
     * offset), 0 at padding: the positions of axial and rotary encodings. A real token's position depends only on
     * the real tokens before it, so padding never moves it.
     */
    public NDArray positionRanks(NDArray ids) {
        NDArray notPad = ids.neq(padTokenId).toType(DataType.INT64, false);
        return notPad.cumSum(1).sub(1).mul(notPad);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(embed(ps, inputs.head(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(wordEmbeddings.getShape().get(1))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        norm.initialize(manager, dataType, getOutputShapes(inputShapes)[0]);
        if (axialPositions != null) {
            axialPositions.initialize(manager, dataType, inputShapes[0]);
        }
    }
}
