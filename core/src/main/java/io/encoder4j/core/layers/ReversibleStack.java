package io.encoder4j.core.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import io.encoder4j.core.attention.AttentionContext;
import java.util.List;

/**
 * Reversible residual layers (Gomez et al. 2017, "The Reversible Residual Network"; Reformer, Kitaev et al. 2020,
 * section 3, as transformers' {@code ReformerLayer} and {@code _ReversibleFunction}). The residual stream is two
 * streams (x1, x2), and layer i computes
 * <pre>
 *   y1 = x1 + F(x2)      F = drop(attention(LN(.)))     ({@link TransformerLayer#attentionBranch})
 *   y2 = x2 + G(y1)      G = drop(feed-forward(LN(.)))  ({@link TransformerLayer#feedForwardBranch})
 * </pre>
 * which can be inverted exactly from its outputs: x2 = y2 - G(y1), then x1 = y1 - F(x2). So the forward pass need
 * not keep any layer's activations: {@link #forwardWithoutActivations} runs the layers with autograd off and keeps
 * only the last (y1, y2); {@link #backward} walks the layers backwards, rebuilding each layer's inputs from its
 * outputs and computing the layer's gradients from a recorded recomputation of just that layer, whose graph is
 * freed before the next layer. Activation memory is then that of one layer (one feed-forward chunk for G) at any
 * depth, at the price of computing every layer's forward twice.
 *
 * <p>DJL has no custom autograd function, so this is not hidden inside autograd: the caller back-propagates the
 * loss to the final (y1, y2), which {@link #forwardWithoutActivations} returns as leaves that require gradients,
 * then calls {@link #backward} with the same {@link Tape}, which returns the gradients of the stack's inputs (the
 * encoder back-propagates them into the embeddings). Layer gradients come from {@code JniUtils.backward(output,
 * outputGradient)}, the vector-Jacobian product of PyTorch's {@code tensor.backward(grad)}; parameter gradients
 * accumulate as with any backward pass. Everything runs inside the caller's one {@code GradientCollector}.
 *
 * <p>Dropout draws the same masks in the recomputation as in the first pass: each residual function runs after
 * the PyTorch generator is seeded with its own seed, drawn from that generator at the start of the pass (as
 * transformers' {@code _init_attention_seed}/{@code _init_feed_forward_seed}). The recomputation passes
 * {@link AttentionContext#replay()} so that mechanisms with a per-pass state (Performer's feature redraw) do not
 * advance it. Inputs rebuilt by subtraction differ from the originals by rounding (relative 1e-7 in float32), so a
 * discrete decision on them (LSH buckets) can in rare cases differ from the first pass.
 */
public final class ReversibleStack {

    private final List<TransformerLayer> layers;

    public ReversibleStack(List<TransformerLayer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a reversible stack needs at least one layer");
        }
        for (TransformerLayer layer : layers) {
            if (!layer.preNorm()) {
                throw new IllegalArgumentException("reversible layers must be pre-LayerNorm (pre_norm: true): a "
                        + "LayerNorm on the residual stream cannot be inverted");
            }
        }
        this.layers = List.copyOf(layers);
    }

    /**
     * What {@link #backward} needs: the stack's outputs and how the pass was run.
     *
     * @param y1 (B, N, E) final first stream, a leaf that requires gradients
     * @param y2 (B, N, E) final second stream, a leaf that requires gradients
     * @param seeds the generator seed of F and G of layer i at 2i and 2i + 1, or {@code null} when not training
     */
    public record Tape(ParameterStore ps, AttentionContext ctx, boolean training, long[] seeds, NDArray y1,
            NDArray y2) {}

    /**
     * The two-stream stack with ordinary autograd: every activation is kept. The reference for {@link #backward},
     * and the pass used when no gradient is needed. It draws and sets the generator seeds exactly as
     * {@link #forwardWithoutActivations} does, so that from the same generator state both draw the same dropout masks.
     *
     * @param x1 (B, N, E)
     * @param x2 (B, N, E)
     * @return {y1, y2}, each (B, N, E)
     */
    public NDArray[] forward(ParameterStore ps, NDArray x1, NDArray x2, AttentionContext ctx, boolean training) {
        long[] seeds = training ? drawSeeds(x1.getManager(), 2 * layers.size()) : null;
        NDArray a = x1;
        NDArray b = x2;
        for (int i = 0; i < layers.size(); i++) {
            TransformerLayer layer = layers.get(i);
            seed(seeds, 2 * i);
            NDArray y1 = a.add(layer.attentionBranch(ps, b, ctx, training));
            seed(seeds, 2 * i + 1);
            b = b.add(layer.feedForwardBranch(ps, y1, training));
            a = y1;
        }
        return new NDArray[] {a, b};
    }

    /**
     * The two-stream stack with autograd off, keeping only its outputs; each layer's intermediates are freed before
     * the next layer runs.
     *
     * @param x1 (B, N, E) first stream; may be the same array as x2
     * @param x2 (B, N, E) second stream
     * @return the tape whose {@code y1}, {@code y2} (B, N, E) require gradients
     */
    public Tape forwardWithoutActivations(ParameterStore ps, NDArray x1, NDArray x2, AttentionContext ctx,
            boolean training) {
        long[] seeds = training ? drawSeeds(x1.getManager(), 2 * layers.size()) : null;
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            NDArray a = x1;
            NDArray b = x2;
            for (int i = 0; i < layers.size(); i++) {
                TransformerLayer layer = layers.get(i);
                NDArray y1;
                NDArray y2;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    seed(seeds, 2 * i);
                    y1 = a.add(layer.attentionBranch(ps, b, ctx, training));
                    seed(seeds, 2 * i + 1);
                    y2 = b.add(layer.feedForwardBranch(ps, y1, training));
                    NDScope.unregister(y1);
                    NDScope.unregister(y2);
                }
                NDScope.register(y1);
                NDScope.register(y2);
                if (i > 0) {
                    a.close();
                    b.close();
                }
                a = y1;
                b = y2;
            }
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            return new Tape(ps, ctx, training, seeds, a, b);
        } finally {
            JniUtils.setGradMode(gradMode);
        }
    }

    /**
     * Back-propagates through the stack layer by layer, recomputing each layer from its outputs. Call it inside the
     * gradient collector, after the loss has been back-propagated to {@code tape.y1()} and {@code tape.y2()}.
     * Adds every layer's parameter gradients to theirs.
     *
     * @return {dL/dx1, dL/dx2}, each (B, N, E), for the inputs the tape was made from
     */
    public NDArray[] backward(Tape tape) {
        return backward(tape, tape.y1().getGradient(), tape.y2().getGradient());
    }

    /**
     * As {@link #backward(Tape)} with the gradients of the outputs given.
     *
     * @param dy1 (B, N, E) dL/dy1
     * @param dy2 (B, N, E) dL/dy2
     */
    public NDArray[] backward(Tape tape, NDArray dy1, NDArray dy2) {
        ParameterStore ps = tape.ps();
        AttentionContext replay = tape.ctx().asReplay();
        boolean training = tape.training();
        NDArray y1 = tape.y1().stopGradient();
        NDArray y2 = tape.y2().stopGradient();
        NDArray g1 = dy1;
        NDArray g2 = dy2;
        for (int i = layers.size() - 1; i >= 0; i--) {
            TransformerLayer layer = layers.get(i);
            NDArray x1;
            NDArray x2;
            NDArray d1;
            NDArray d2;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                // G: y2 = x2 + G(y1), recomputed chunk by chunk; each chunk's graph is freed by its backward.
                int size = layer.feedForwardChunkSize();
                int chunks = SequenceChunks.count(y1.getShape().get(1), size);
                NDList g = new NDList(chunks);
                NDList dg = new NDList(chunks);
                seed(tape.seeds(), 2 * i + 1);
                for (int c = 0; c < chunks; c++) {
                    NDArray out;
                    NDArray grad;
                    try (NDScope chunkScope = new NDScope()) {
                        chunkScope.suppressNotUsedWarning();
                        NDArray input = SequenceChunks.chunk(y1, size, c).stopGradient();
                        input.setRequiresGradient(true);
                        NDArray gc = layer.feedForwardChunk(ps, input, training);
                        vectorJacobian(gc, SequenceChunks.chunk(g2, size, c));
                        out = gc.stopGradient();
                        grad = input.getGradient();
                        NDScope.unregister(out);
                        NDScope.unregister(grad);
                    }
                    NDScope.register(out);
                    NDScope.register(grad);
                    g.add(out);
                    dg.add(grad);
                }
                x2 = y2.sub(SequenceChunks.join(g));
                d1 = g1.add(SequenceChunks.join(dg));

                // F: y1 = x1 + F(x2).
                NDArray input = x2.stopGradient();
                input.setRequiresGradient(true);
                seed(tape.seeds(), 2 * i);
                NDArray f = layer.attentionBranch(ps, input, replay, training);
                vectorJacobian(f, d1);
                x1 = y1.sub(f.stopGradient());
                d2 = g2.add(input.getGradient());
                for (NDArray kept : new NDArray[] {x1, x2, d1, d2}) {
                    NDScope.unregister(kept);
                }
            }
            for (NDArray kept : new NDArray[] {x1, x2, d1, d2}) {
                NDScope.register(kept);
            }
            // The outputs of this layer are no longer needed (the caller's gradients stay the caller's).
            y1.close();
            y2.close();
            if (i < layers.size() - 1) {
                g1.close();
                g2.close();
            }
            y1 = x1;
            y2 = x2;
            g1 = d1;
            g2 = d2;
        }
        return new NDArray[] {g1, g2};
    }

    /**
     * Accumulates dL/dθ += (d output / dθ)^T outputGradient into every parameter and leaf that {@code output} depends
     * on (PyTorch's {@code output.backward(outputGradient)}), freeing the graph.
     */
    public static void vectorJacobian(NDArray output, NDArray outputGradient) {
        JniUtils.backward((PtNDArray) output, (PtNDArray) outputGradient, false, false);
    }

    /** Seeds for every residual function, drawn from PyTorch's generator so that a seeded run repeats. */
    private static long[] drawSeeds(NDManager manager, int count) {
        try (NDArray drawn = manager.randomInteger(0, Integer.MAX_VALUE, new Shape(count), DataType.INT64)) {
            return drawn.toLongArray();
        }
    }

    private static void seed(long[] seeds, int i) {
        if (seeds != null) {
            JniUtils.setSeed(seeds[i]);
        }
    }
}
