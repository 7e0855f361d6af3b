package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Padding along the sequence axis to the multiple of a block, chunk or segment length, so that users never have to:
 * mechanisms pad internally and slice their output back to N.
 */
public final class SequencePadding {

    private SequencePadding() {}

    /** The smallest multiple of {@code multiple} that is at least {@code n} (and at least one block). */
    public static long paddedLength(long n, long multiple) {
        return Math.max(1, (n + multiple - 1) / multiple) * multiple;
    }

    /** Appends {@code count} copies of {@code value} along {@code axis} (count 0 returns x). */
    public static NDArray append(NDArray x, int axis, long count, float value) {
        if (count == 0) {
            return x;
        }
        Shape s = x.getShape();
        long[] dims = s.getShape().clone();
        dims[axis] = count;
        NDArray pad = x.getManager().full(new Shape(dims), value, x.getDataType());
        return x.concat(pad, axis);
    }

    /** Prepends {@code count} copies of {@code value} along {@code axis}. */
    public static NDArray prepend(NDArray x, int axis, long count, float value) {
        if (count == 0) {
            return x;
        }
        long[] dims = x.getShape().getShape().clone();
        dims[axis] = count;
        return x.getManager().full(new Shape(dims), value, x.getDataType()).concat(x, axis);
    }

    /** Pads axis {@code axis} with {@code value} up to a multiple of {@code multiple}. */
    public static NDArray toMultiple(NDArray x, int axis, long multiple, float value) {
        long n = x.getShape().get(axis);
        return append(x, axis, paddedLength(n, multiple) - n, value);
    }
}
