package io.encoder4j.core.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.function.UnaryOperator;

/**
 * A position-wise function applied to consecutive chunks of the sequence axis and concatenated, as transformers'
 * {@code apply_chunking_to_forward} (used by Reformer for its feed-forward, Kitaev et al. 2020, section 3 "Chunking").
 * The result equals applying the function to the whole sequence because nothing mixes positions; only the largest
 * intermediate tensor shrinks, from (B, N, F) to (B, chunk, F). That lowers the peak of a pass that keeps no
 * activations (inference, and the recomputation of reversible layers); a recorded training pass keeps every chunk's
 * activations for the backward pass anyway.
 */
public final class SequenceChunks {

    private SequenceChunks() {}

    /** The number of chunks of {@code size} positions (the last one shorter) covering {@code n} positions. */
    public static int count(long n, int size) {
        return size <= 0 || n <= size ? 1 : (int) ((n + size - 1) / size);
    }

    /**
     * Chunk {@code i} of a (B, N, ...) tensor along axis 1.
     *
     * @param size chunk length; 0 means one chunk, the whole sequence
     */
    public static NDArray chunk(NDArray x, int size, int i) {
        long n = x.getShape().get(1);
        if (count(n, size) == 1) {
            return x;
        }
        long start = (long) i * size;
        long end = Math.min(n, start + size);
        return x.get(":, " + start + ":" + end);
    }

    /**
     * Concatenates chunks along axis 1. A single chunk is returned as it is: {@code NDArrays.concat} of a
     * one-element list would detach it from autograd (see architecture.md).
     */
    public static NDArray join(NDList chunks) {
        return chunks.size() == 1 ? chunks.singletonOrThrow() : NDArrays.concat(chunks, 1);
    }

    /**
     * {@code fn} on chunks of {@code size} positions of x (B, N, ...), concatenated back to (B, N, ...).
     *
     * @param size chunk length; 0, or a length of at least N, applies {@code fn} once to the whole of x
     */
    public static NDArray apply(NDArray x, int size, UnaryOperator<NDArray> fn) {
        int chunks = count(x.getShape().get(1), size);
        if (chunks == 1) {
            return fn.apply(x);
        }
        NDList outputs = new NDList(chunks);
        for (int i = 0; i < chunks; i++) {
            // Each chunk's intermediates are closed with its scope: a DJL array holds its memory until closed, so
            // without this every chunk's (B, c, F) intermediate would live until the step ends and chunking would
            // save nothing. Under autograd the graph keeps what backward needs (closing only drops our handle).
            NDArray out;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                out = fn.apply(chunk(x, size, i));
                NDScope.unregister(out);
            }
            NDScope.register(out);
            outputs.add(out);
        }
        return join(outputs);
    }
}
