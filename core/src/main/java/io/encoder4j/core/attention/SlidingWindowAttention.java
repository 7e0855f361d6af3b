package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.encoder4j.core.tensor.Scalars;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Longformer local attention (Beltagy et al. 2020, section 3.1): query i attends to the keys i + d m for
 * |m| <= w/2, with window w (per layer) and dilation d (per head). Dilation is computed by regrouping the sequence
 * into d interleaved subsequences (positions with the same remainder mod d), on which the dilated window is an
 * ordinary band, so no N x N matrix is ever built: time and memory are O(N w).
 */
public final class SlidingWindowAttention extends ExactPatternAttention {

    public static final String NAME = "sliding_window";

    private final int radius;
    private final float scale;
    /** Heads grouped by dilation, in order of first appearance. */
    private final Map<Integer, long[]> headsByDilation = new LinkedHashMap<>();
    /** Position of each head in the concatenation of the groups; {@code null} when heads stay in order. */
    private final long[] restoreOrder;

    public SlidingWindowAttention(AttentionBuild build) {
        super(build);
        this.radius = build.config().windowOf(build.layerIndex()) / 2;
        this.scale = (float) (1.0 / Math.sqrt(headSize));
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int h = 0; h < numHeads; h++) {
            groups.computeIfAbsent(build.config().dilationOf(h), x -> new ArrayList<>()).add(h);
        }
        List<Integer> concatenated = new ArrayList<>();
        groups.forEach((dil, heads) -> {
            headsByDilation.put(dil, heads.stream().mapToLong(Integer::longValue).toArray());
            concatenated.addAll(heads);
        });
        long[] restore = new long[numHeads];
        boolean inOrder = true;
        for (int i = 0; i < numHeads; i++) {
            restore[concatenated.get(i)] = i;
            inOrder &= concatenated.get(i) == i;
        }
        this.restoreOrder = inOrder ? null : restore;
    }

    @Override
    protected PartialAttention pattern(NDArray q, NDArray k, NDArray v, NDArray additiveKeyMask, boolean training,
            boolean withLse) {
        // q, k, v: (B, H, N, D); additiveKeyMask: (B, 1, 1, N)
        long b = q.getShape().get(0);
        long n = q.getShape().get(2);
        NDArray keyMask = additiveKeyMask.reshape(b, 1, n);
        if (headsByDilation.size() == 1) {
            return dilated(q, k, v, keyMask, headsByDilation.keySet().iterator().next(), training, withLse);
        }
        List<NDArray> outs = new ArrayList<>();
        List<NDArray> lses = new ArrayList<>();
        for (Map.Entry<Integer, long[]> group : headsByDilation.entrySet()) {
            NDIndex heads = new NDIndex(":, {}", q.getManager().create(group.getValue()));
            PartialAttention p = dilated(q.get(heads), k.get(heads), v.get(heads), keyMask, group.getKey(),
                    training, withLse);
            outs.add(p.output());
            lses.add(p.logNormalizer());
        }
        NDArray out = concat(outs);
        NDArray lse = withLse ? concat(lses) : null;
        if (restoreOrder != null) {
            NDIndex restore = new NDIndex(":, {}", q.getManager().create(restoreOrder));
            out = out.get(restore);
            lse = withLse ? lse.get(restore) : null;
        }
        return new PartialAttention(out, lse);
    }

    private static NDArray concat(List<NDArray> parts) {
        NDArray all = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            all = all.concat(parts.get(i), 1);
        }
        return all;
    }

    /** One dilation for heads (B, Hg, N, D): regroup to (B, Hg, d, N/d, D), band attention, regroup back. */
    private PartialAttention dilated(NDArray q, NDArray k, NDArray v, NDArray keyMask, int dilation,
            boolean training, boolean withLse) {
        if (dilation == 1) {
            return BandedAttention.attend(Scalars.mul(q, scale), k, v, keyMask, radius, withLse,
                    p -> dropProbabilities(p, training));
        }
        long b = q.getShape().get(0);
        long hg = q.getShape().get(1);
        long n = q.getShape().get(2);
        long d = q.getShape().get(3);
        long np = SequencePadding.paddedLength(n, dilation);
        long sub = np / dilation;
        NDArray mask = SequencePadding.append(keyMask, 2, np - n, AttentionMasks.maskedScore(keyMask.getDataType()))
                .reshape(b, 1, sub, dilation).transpose(0, 1, 3, 2);
        PartialAttention p = BandedAttention.attend(interleave(Scalars.mul(q, scale), np, dilation),
                interleave(k, np, dilation), interleave(v, np, dilation), mask, radius, withLse,
                x -> dropProbabilities(x, training));
        NDArray out = deinterleave(p.output(), b, hg, n, np, dilation, d);
        return new PartialAttention(out, withLse ? deinterleave(p.logNormalizer(), b, hg, n, np, dilation, 1) : null);
    }

    /** (B, Hg, N, D) to (B, Hg, d, N'/d, D): subsequence r holds positions r, r + d, r + 2d, ... */
    private static NDArray interleave(NDArray x, long np, int dilation) {
        long b = x.getShape().get(0);
        long hg = x.getShape().get(1);
        long n = x.getShape().get(2);
        long d = x.getShape().get(3);
        return SequencePadding.append(x, 2, np - n, 0f).reshape(b, hg, np / dilation, dilation, d)
                .transpose(0, 1, 3, 2, 4);
    }

    private static NDArray deinterleave(NDArray x, long b, long hg, long n, long np, int dilation, long d) {
        NDArray flat = x.transpose(0, 1, 3, 2, 4).reshape(b, hg, np, d);
        return np == n ? flat : flat.get(":, :, 0:" + n);
    }
}
