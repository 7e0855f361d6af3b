package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.UnaryOperator;

/**
 * Softmax attention restricted to a band |i - j| <= r, computed block by block without an N x N matrix: the
 * sequence is cut into blocks of r positions, and each query block scores the keys of its own block and its two
 * neighbours (3r keys, of which the band keeps 2r + 1). Time and memory are O(N r). Shared by sliding-window
 * (Longformer) and Long-Short attention.
 */
public final class BandedAttention {

    private BandedAttention() {}

    /**
     * @param q (L..., N, D) queries, already scaled
     * @param k (L..., N, D)
     * @param v (L..., N, D)
     * @param additiveKeyMask (L'..., N) with L' broadcastable to L: 0 at visible keys, MASKED_SCORE elsewhere
     * @param radius r >= 1
     * @param withLogNormalizer also return the log-normaliser (for merging with other key subsets)
     * @param dropProbabilities applied to the probabilities (dropout)
     * @return (L..., N, D) outputs and, when asked, (L..., N, 1) log-normalisers
     */
    public static PartialAttention attend(NDArray q, NDArray k, NDArray v, NDArray additiveKeyMask, int radius,
            boolean withLogNormalizer, UnaryOperator<NDArray> dropProbabilities) {
        Shape qs = q.getShape();
        int rank = qs.dimension();
        int seqAxis = rank - 2;
        long n = qs.get(seqAxis);
        long d = qs.get(rank - 1);
        int bs = radius;
        long np = SequencePadding.paddedLength(n, bs);
        long nb = np / bs;
        Shape lead = qs.slice(0, seqAxis);
        Shape maskLead = additiveKeyMask.getShape().slice(0, additiveKeyMask.getShape().dimension() - 1);

        // (L..., nb, bs, D) query blocks; keys and values padded by one block on each side, then three shifted
        // views concatenated: block i sees original blocks i-1, i, i+1 (Longformer's overlapping chunks, built
        // without unfold, which DJL lacks).
        NDArray qb = SequencePadding.append(q, seqAxis, np - n, 0f).reshape(lead.addAll(new Shape(nb, bs, d)));
        NDArray kw = windows(k, seqAxis, n, np, bs, 0f, lead.addAll(new Shape(nb + 2, bs, d)));
        NDArray vw = windows(v, seqAxis, n, np, bs, 0f, lead.addAll(new Shape(nb + 2, bs, d)));
        NDArray mw = windows(additiveKeyMask, maskLead.dimension(), n, np, bs,
                AttentionMasks.maskedScore(additiveKeyMask.getDataType()),
                maskLead.addAll(new Shape(nb + 2, bs)));
        mw = mw.reshape(maskLead.addAll(new Shape(nb, 1, 3L * bs)));

        int r5 = qb.getShape().dimension();
        int[] swap = new int[r5];
        for (int i = 0; i < r5; i++) {
            swap[i] = i;
        }
        swap[r5 - 1] = r5 - 2;
        swap[r5 - 2] = r5 - 1;
        // Band and key mask are added to each other first (no head axis, so small), then once to the scores.
        NDArray mask = mw.add(band(q.getManager(), bs, radius, q.getDataType()));
        NDArray raw = qb.matMul(kw.transpose(swap));
        NDArray scores = raw.add(mask);
        // Intermediates live until the step's scope closes unless closed: closing the ones autograd does not keep
        // (an addition's operands, a softmax's input) lowers the peak memory (DJL-NOTES: memory management).
        raw.close();
        NDArray[] pl = PartialAttention.softmax(scores, withLogNormalizer);
        NDArray lse = withLogNormalizer ? unblock(pl[1], seqAxis, n, lead, np, 1) : null;
        scores.close();
        NDArray out = dropProbabilities.apply(pl[0]).matMul(vw);
        return new PartialAttention(unblock(out, seqAxis, n, lead, np, d), lse);
    }

    /** (L..., N[, D]) to (L..., nb, 3 bs[, D]): key block i holds original blocks i-1, i, i+1. */
    private static NDArray windows(NDArray x, int axis, long n, long np, int bs, float fill, Shape blocked) {
        NDArray appended = SequencePadding.append(x, axis, np - n + bs, fill);
        NDArray prepended = SequencePadding.prepend(appended, axis, bs, fill);
        NDArray padded = prepended.reshape(blocked);
        long nb = np / bs;
        String prefix = ":, ".repeat(axis);
        NDArray left = padded.get(new NDIndex(prefix + "0:" + nb));
        NDArray centre = padded.get(new NDIndex(prefix + "1:" + (nb + 1)));
        NDArray right = padded.get(new NDIndex(prefix + "2:" + (nb + 2)));
        NDArray pair = left.concat(centre, axis + 1);
        NDArray window = pair.concat(right, axis + 1);
        // Concatenation, padding and slicing keep nothing for the backward pass: free the copies now rather than
        // when the step ends (three sequence-long copies per tensor).
        for (NDArray temporary : new NDArray[] {pair, left, centre, right, padded, prepended, appended}) {
            if (temporary != x) {
                temporary.close();
            }
        }
        return window;
    }

    private static NDArray unblock(NDArray x, int seqAxis, long n, Shape lead, long np, long d) {
        NDArray flat = x.reshape(lead.addAll(new Shape(np, d)));
        return np == n ? flat : flat.get(new NDIndex(":, ".repeat(seqAxis) + "0:" + n));
    }

    /** (bs, 3 bs) additive band: query a of a block sees key c of its window when |(c - bs) - a| <= radius. */
    private static NDArray band(NDManager manager, int bs, int radius, DataType type) {
        float[] m = new float[bs * 3 * bs];
        for (int a = 0; a < bs; a++) {
            for (int c = 0; c < 3 * bs; c++) {
                m[a * 3 * bs + c] = Math.abs(c - bs - a) <= radius ? 0f : AttentionMasks.maskedScore(type);
            }
        }
        return manager.create(m, new Shape(bs, 3L * bs)).toType(type, false);
    }
}
