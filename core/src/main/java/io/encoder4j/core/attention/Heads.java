package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;

/** Splitting hidden states into attention heads and merging them back. */
public final class Heads {

    private Heads() {}

    /** (B, N, H*D) to (B, H, N, D). */
    public static NDArray split(NDArray x, int numHeads) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long e = x.getShape().get(2);
        return x.reshape(b, n, numHeads, e / numHeads).transpose(0, 2, 1, 3);
    }

    /** (B, H, N, D) to (B, N, H*D). */
    public static NDArray merge(NDArray x) {
        long b = x.getShape().get(0);
        long h = x.getShape().get(1);
        long n = x.getShape().get(2);
        long d = x.getShape().get(3);
        return x.transpose(0, 2, 1, 3).reshape(b, n, h * d);
    }
}
