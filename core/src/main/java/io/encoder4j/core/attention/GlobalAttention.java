package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import io.encoder4j.core.tensor.Scalars;

/**
 * Longformer global attention (Beltagy et al. 2020, section 3.1 "global attention" and "linear projections"), added
 * to any exact local pattern ({@code local}: sliding_window, blockwise, bigbird or full). Positions marked in the
 * {@code global_attention_mask} input
 * <ul>
 *   <li>are attended to by every token: each non-global query takes one softmax over its local keys and all global
 *       keys, with the global keys removed from the local part so that none is counted twice (as Hugging Face's
 *       {@code LongformerSelfAttention}), using the local projections;</li>
 *   <li>attend to every token themselves, through their own projections {@code query_global}, {@code key_global} and
 *       {@code value_global}.</li>
 * </ul>
 * The joint softmax over local and global keys is computed exactly by merging the two partial softmaxes with their
 * log-normalisers ({@link PartialAttention#merge}), so the local pattern never needs to know about global keys.
 * Without global tokens in a batch this is exactly the local pattern. Cost: the local pattern's plus O(N G).
 */
public final class GlobalAttention extends SelfAttention {

    public static final String NAME = "global";

    /** The local pattern: used for its {@code pattern}; its own projections are never used or initialised. */
    private final ExactPatternAttention local;
    private final Linear queryGlobal;
    private final Linear keyGlobal;
    private final Linear valueGlobal;
    private final float scale;

    public GlobalAttention(AttentionBuild build) {
        super(build);
        AttentionConfig c = build.config();
        AttentionConfig localConfig = new AttentionConfig(c.local(), c.dropout(), c.window(), c.layerWindows(),
                c.dilation(), null, c.numBlocks(), c.blockSize(), c.numRandomBlocks(), c.numGlobalBlocks(),
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, c.seed());
        // AttentionConfig admits only exact patterns as `local`.
        this.local = (ExactPatternAttention) AttentionRegistry.create(new AttentionBuild(localConfig,
                build.hiddenSize(), build.numHeads(), build.maxLength(), build.layerIndex(), null));
        this.queryGlobal = projection("query_global");
        this.keyGlobal = projection("key_global");
        this.valueGlobal = projection("value_global");
        this.scale = (float) (1.0 / Math.sqrt(headSize));
    }

    @Override
    public NDArray attend(ParameterStore ps, NDArray hidden, AttentionContext ctx, boolean training) {
        // hidden: (B, N, E)
        NDArray q = positionedHeads(ps, query, hidden, ctx, training);
        NDArray k = positionedHeads(ps, key, hidden, ctx, training);
        NDArray v = heads(ps, value, hidden, training);
        AttentionContext.GlobalTokens global = ctx.global();
        if (global == null) {
            NDArray context = local.attendHeads(q, k, v, ctx, training);
            return project(ps, output, Heads.merge(context), training);
        }
        long b = q.getShape().get(0);
        long n = q.getShape().get(2);
        int g = global.slots();
        // Local keys exclude the global ones, which every query sees through the global part below.
        NDArray localMask = ctx.additiveKeyMask()
                .add(global.mask().mul(AttentionMasks.maskedScore(global.mask().getDataType()))
                        .reshape(b, 1, 1, n));
        PartialAttention localPart = local.pattern(q, k, v, localMask, training, true);

        // Every query to the G global keys (local projections): (B, H, N, G).
        NDArray index = global.index().reshape(b, 1, g);
        NDArray kg = Rows.take(k, index);
        NDArray vg = Rows.take(v, index);
        NDArray scores = Scalars.mul(q, scale).matMul(kg.transpose(0, 1, 3, 2)).add(global.additiveSlotMask());
        NDArray[] pl = PartialAttention.softmaxWithLogNormalizer(scores);
        PartialAttention globalKeys = new PartialAttention(dropProbabilities(pl[0], training).matMul(vg), pl[1]);
        NDArray context = localPart.merge(globalKeys).outputZeroingEmptyRows();

        // Global queries to every key, with the global projections: (B, H, G, N) -> (B, H, G, D).
        // Only the G global rows need a global query: project them alone.
        long e = hidden.getShape().get(2);
        NDArray globalHidden = Rows.take(hidden.reshape(b, 1, n, e), index).reshape(b, g, e);
        NDArray qGlobal = heads(ps, queryGlobal, globalHidden, training);
        if (ctx.rotary() != null) {
            // The G global queries sit at the positions of their tokens.
            qGlobal = ctx.rotary().rotateAt(qGlobal, index);
        }
        NDArray kGlobal = positionedHeads(ps, keyGlobal, hidden, ctx, training);
        NDArray vGlobal = heads(ps, valueGlobal, hidden, training);
        NDArray globalScores = Scalars.mul(qGlobal, scale).matMul(kGlobal.transpose(0, 1, 3, 2)).add(ctx.additiveKeyMask());
        NDArray globalRows = dropProbabilities(globalScores.softmax(-1), training).matMul(vGlobal);
        // Scatter the G rows back to their positions: (B, 1, N, G) one-hot x (B, H, G, D).
        NDArray notGlobal = global.mask().neg().add(1).reshape(b, 1, n, 1);
        context = context.mul(notGlobal).add(global.scatter().matMul(globalRows));
        return project(ps, output, Heads.merge(context), training);
    }

    @Override
    protected NDArray attendHeads(NDArray q, NDArray k, NDArray v, AttentionContext ctx, boolean training) {
        return local.attendHeads(q, k, v, ctx, training);
    }

    /** The local pattern (for tests). */
    ExactPatternAttention local() {
        return local;
    }
}
