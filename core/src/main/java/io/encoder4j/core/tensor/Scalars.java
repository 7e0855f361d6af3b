package io.encoder4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Scalar constants for differentiable arithmetic, and INT64 ranges.
 *
 * <p>Why: DJL's {@code x.mul(Number)} (likewise {@code div}, {@code pow}) wraps the Java number in a tensor over a
 * Java direct buffer without copying, and closes that tensor as soon as the op returns. Autograd keeps the operand
 * for the backward pass, so a garbage collection between forward and backward frees its memory and the gradient
 * reads whatever is there (measured: wrong gradients in 16 of 20 runs with a GC in between). Arithmetic on tensors
 * that require gradients must use these helpers, whose scalar is a tensor owned by libtorch.
 */
public final class Scalars {

    private Scalars() {}

    /** A 0-d tensor holding {@code value} in the data type of {@code like}, with libtorch-owned storage. */
    public static NDArray of(NDArray like, double value) {
        try (NDArray host = like.getManager().create(value)) {
            // toType to another type is a libtorch cast; to the same type it would share the Java buffer.
            return like.getDataType() == DataType.FLOAT64 ? host.duplicate() : host.toType(like.getDataType(), false);
        }
    }

    /** {@code x * value}, safe under autograd. */
    public static NDArray mul(NDArray x, double value) {
        return x.mul(of(x, value));
    }

    /** {@code x / value}, safe under autograd. */
    public static NDArray div(NDArray x, double value) {
        return x.div(of(x, value));
    }

    /** INT64 {@code 0, step, 2 step, ...} ({@code count} values); {@code arange} with long bounds would be float32. */
    public static NDArray offsets(NDManager manager, long count, long step) {
        return manager.arange(0, (int) count, 1, DataType.INT64).mul(manager.create(step));
    }
}
