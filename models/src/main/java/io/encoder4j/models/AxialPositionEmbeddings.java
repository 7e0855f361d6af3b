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
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;

/**
 * Axial position embeddings (Reformer, Kitaev et al. 2020, as transformers' {@code AxialPositionEmbeddings}): the
 * positions are laid out on an n1 x n2 grid in row-major order, and position p is the concatenation of row
 * p / n2 of a (n1, d1) table and row p mod n2 of a (n2, d2) table, d1 + d2 = E. A table for n1 n2 positions then
 * costs (n1 d1 + n2 d2) parameters instead of n1 n2 E: 2 x 256 rows instead of 65536 for 64K tokens.
 *
 * <p>Unlike transformers, training does not require the sequence length to equal n1 n2 (a complaint of its users):
 * any length up to n1 n2 takes the rows of its own positions, as transformers does in evaluation.
 * Block input: {@code [positions (B,N) INT64]}, output {@code [(B,N,E)]}.
 */
public final class AxialPositionEmbeddings extends AbstractBlock {

    private static final byte VERSION = 1;

    private final int columns;
    private final Parameter rowTable;
    private final Parameter columnTable;

    /**
     * @param shape (n1, n2)
     * @param dims (d1, d2)
     */
    public AxialPositionEmbeddings(List<Integer> shape, List<Integer> dims) {
        super(VERSION);
        this.columns = shape.get(1);
        this.rowTable = addParameter(Parameter.builder().setName("rows").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(shape.get(0), dims.get(0))).build());
        this.columnTable = addParameter(Parameter.builder().setName("columns").setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(shape.get(1), dims.get(1))).build());
    }

    /**
     * @param positions (B, N) INT64 in [0, n1 n2)
     * @return (B, N, d1 + d2)
     */
    public NDArray embed(ParameterStore ps, NDArray positions, boolean training) {
        var device = positions.getDevice();
        NDArray rows = ps.getValue(rowTable, device, training);
        NDArray cols = ps.getValue(columnTable, device, training);
        // p = n2 row + column. NDArray division of integers is true division: (p - column) / n2 is an exact
        // integer-valued float below 2^24, cast back to INT64.
        NDArray column = positions.mod(columns);
        NDArray row = positions.sub(column).div(columns).toType(DataType.INT64, false);
        return Embedding.embedding(row, rows, SparseFormat.DENSE).singletonOrThrow()
                .concat(Embedding.embedding(column, cols, SparseFormat.DENSE).singletonOrThrow(), 2);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(embed(ps, inputs.singletonOrThrow(), training));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(rowTable.getShape().get(1) + columnTable.getShape().get(1))};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        // Parameters only.
    }
}
