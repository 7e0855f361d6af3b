package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import io.encoder4j.core.tensor.Scalars;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Linformer (Wang et al. 2020, "Linformer: Self-Attention with Linear Complexity", section 4): keys and values are
 * projected along the sequence axis to k rows, K' = E K and V' = F V with learned E, F of shape (k, maxLength), and
 * each query attends to those k rows: softmax(Q K'^T / sqrt(D)) V'. Time and memory are O(N k).
 *
 * <p>Any length N up to the maximum uses the first N columns of E and F (position j always meets column j), and
 * padded rows of K and V are zeroed before the projection, so padding contributes exactly nothing. Sharing (section
 * 4, "parameter sharing between projections"): {@code per_head} gives every head its own E_h, F_h; {@code heads}
 * shares one E and one F among the heads of a layer; {@code key_value} uses one matrix for both keys and values;
 * {@code layers} uses that one matrix in every layer (owned by layer 0, read by the others through
 * {@link AttentionBuild#firstLayer()}).
 */
public final class LinformerAttention extends SelfAttention {

    public static final String NAME = "linformer";

    private final int projectedLength;
    private final String sharing;
    private final float scale;
    /** E: (H, k, L) for {@code per_head}, else (k, L); layer 0's in later {@code layers} layers. */
    private final Parameter keyProjection;
    /** F: the same object as {@link #keyProjection} for {@code key_value} and {@code layers}. */
    private final Parameter valueProjection;
    /** The projections registered in this block (none in later {@code layers} layers). */
    private final List<Parameter> owned = new ArrayList<>();

    public LinformerAttention(AttentionBuild build) {
        super(build);
        this.projectedLength = build.config().projectedLength();
        this.sharing = build.config().sharing();
        this.scale = (float) (1.0 / Math.sqrt(headSize));
        switch (sharing) {
            case "per_head", "heads" -> {
                Shape shape = "per_head".equals(sharing)
                        ? new Shape(numHeads, projectedLength, maxLength)
                        : new Shape(projectedLength, maxLength);
                this.keyProjection = own("key_projection", shape);
                this.valueProjection = own("value_projection", shape);
            }
            case "key_value" -> {
                this.keyProjection = own("projection", new Shape(projectedLength, maxLength));
                this.valueProjection = keyProjection;
            }
            case "layers" -> {
                if (build.firstLayer() == null) {
                    this.keyProjection = own("projection", new Shape(projectedLength, maxLength));
                } else if (build.firstLayer() instanceof LinformerAttention first && "layers".equals(first.sharing)
                        && first.projectedLength == projectedLength && first.maxLength == maxLength) {
                    // Not registered again: the optimizer sees the matrix once, in layer 0, and the gradients of
                    // every layer accumulate in its one array.
                    this.keyProjection = first.keyProjection;
                } else {
                    throw new IllegalArgumentException("linformer sharing 'layers' needs layer 0 to be a linformer "
                            + "block with the same sharing, projected_length and maximum length");
                }
                this.valueProjection = keyProjection;
            }
            default -> throw new IllegalArgumentException("unknown linformer sharing '" + sharing + "'");
        }
    }

    private Parameter own(String name, Shape shape) {
        Parameter p = addParameter(Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT)
                .optShape(shape).optInitializer(referenceInitializer()).build());
        owned.add(p);
        return p;
    }

    /**
     * The reference implementation's init: E is an nn.Linear(maxLength, k) weight with xavier-normal init, std =
     * sqrt(2 / (maxLength + k)), which keeps E K at the scale of K for N near the maximum.
     */
    private NormalInitializer referenceInitializer() {
        return new NormalInitializer((float) Math.sqrt(2.0 / (maxLength + projectedLength)));
    }

    /** k. */
    public int projectedLength() {
        return projectedLength;
    }

    public String sharing() {
        return sharing;
    }

    /** The key projection E (also F under {@code key_value} and {@code layers} sharing). */
    public Parameter keyProjection() {
        return keyProjection;
    }

    /** The value projection F. */
    public Parameter valueProjection() {
        return valueProjection;
    }

    /** The projections registered in this block: empty in layers after the first under {@code layers} sharing. */
    public List<Parameter> ownedProjections() {
        return Collections.unmodifiableList(owned);
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        // A model-wide initializer for every weight (N(0, initializer_range), chosen for E x E matrices) would
        // replace the reference init; the projections keep theirs, scaled to the length they sum over.
        for (Parameter p : owned) {
            p.setInitializer(referenceInitializer());
        }
    }

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        // q, k, v: (B, H, N, D); E, F: (k, L) or (H, k, L)
        long b = q.getShape().get(0);
        long n = q.getShape().get(2);
        if (n > maxLength) {
            throw new IllegalArgumentException("sequence length " + n + " exceeds the maximum length " + maxLength);
        }
        NDArray real = ctx.paddingMask().reshape(b, 1, n, 1);
        NDArray eT = firstColumnsTransposed(keyProjection, n, q);
        NDArray fT = valueProjection == keyProjection ? eT : firstColumnsTransposed(valueProjection, n, q);
        // K'^T = (E K)^T = K^T E^T: (B, H, D, N) x ([H,] N, k) -> (B, H, D, k); zeroed padded rows add nothing.
        NDArray projectedKeysT = k.mul(real).transpose(0, 1, 3, 2).matMul(eT);
        // V' = F V, computed as (V^T F^T)^T: (B, H, k, D).
        NDArray projectedValues = v.mul(real).transpose(0, 1, 3, 2).matMul(fT).transpose(0, 1, 3, 2);
        // The context mapping softmax(Q K'^T / sqrt(D)) over the k projected rows, (B, H, N, k).
        NDArray probs = Scalars.mul(q, scale).matMul(projectedKeysT).softmax(-1);
        return dropProbabilities(probs, training).matMul(projectedValues);
    }

    /** The first n columns of a projection, transposed to ([H,] n, k), owned by the activation's manager. */
    private static NDArray firstColumnsTransposed(Parameter projection, long n, NDArray activation) {
        NDArray full = projection.getArray();
        int rank = full.getShape().dimension();
        NDArray columns = n == full.getShape().get(rank - 1) ? full : full.get("..., 0:" + n);
        NDArray transposed = rank == 2 ? columns.transpose(1, 0) : columns.transpose(0, 2, 1);
        // Views of a parameter belong to the parameter's long-lived manager (DJL-NOTES.md): hand them to the
        // batch's manager so that they are freed with it.
        if (columns != full) {
            columns.attach(activation.getManager());
        }
        transposed.attach(activation.getManager());
        return transposed;
    }
}
