package io.encoder4j.core.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Casts that autograd follows, for FP16 mixed precision (docs/training.md, "Mixed precision").
 *
 * <p>Why not {@code toType}: DJL's PyTorch JNI runs {@code toType} under a no-grad guard, so a cast made with it cuts
 * the graph. PyTorch's type promotion gives a differentiable cast instead: multiplying an FP16 tensor by an FP32
 * one-element tensor of shape (1) (a dimensioned tensor, so it takes part in promotion, unlike a 0-d one) computes in
 * FP32, and autograd casts the gradient back to FP16 at that boundary.
 */
public final class Precision {

    private Precision() {}

    /**
     * {@code x} in FP32, differentiably; {@code x} itself when it is not FP16. Losses call it on their logits, so that
     * log-softmax, the mean and the loss scaling run in FP32 (as autocast does) while the model computes in FP16.
     */
    public static NDArray float32(NDArray x) {
        if (x.getDataType() != DataType.FLOAT16) {
            return x;
        }
        Shape shape = x.getShape();
        NDArray one = x.getManager().ones(new Shape(1), DataType.FLOAT32);
        NDArray wide = x.mul(one);
        // A 0-d x broadcasts to (1): give it its own shape back.
        return shape.dimension() == 0 ? wide.reshape(shape) : wide;
    }
}
