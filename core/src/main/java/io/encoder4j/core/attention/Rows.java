package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.encoder4j.core.tensor.Scalars;

/** Gathering positions of a (B, H, N, D) tensor by per-sequence, per-head indices, with autograd. */
public final class Rows {

    private Rows() {}

    /**
     * @param x (B, G, N, D) for any G
     * @param index (B, G', M) INT64 positions in [0, N), with G' = G or 1 (shared by every head)
     * @return (B, G, M, D) with out[b, g, m] = x[b, g, index[b, g, m]]
     */
    public static NDArray take(NDArray x, NDArray index) {
        Shape s = x.getShape();
        long b = s.get(0);
        long g = s.get(1);
        long n = s.get(2);
        long d = s.get(3);
        long m = index.getShape().get(2);
        // Flat row numbers (b*G + g)*N + index select rows of the (B*G*N, D) view in one advanced-indexing op.
        NDArray base = Scalars.offsets(index.getManager(), b * g, n).reshape(b, g, 1);
        NDArray flat = index.add(base).reshape(b * g * m);
        return x.reshape(b * g * n, d).get(new NDIndex("{}", flat)).reshape(b, g, m, d);
    }
}
