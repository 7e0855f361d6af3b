package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.encoder4j.core.tensor.Scalars;

/**
 * BlockBERT (Qiu et al. 2020, section 3): the maximum length is cut into n blocks of {@code ceil(max / n)}
 * positions, and in each head query block i attends only to key block π_h(i), a block-to-block permutation that
 * differs between heads. We use the cyclic shifts π_h(i) = (i + h) mod n, which for n = 2 and n = 3 are exactly the
 * permutations of the paper's table 1 ((1,2),(2,1) and (1,2,3),(2,3,1),(3,1,2)); heads beyond n repeat them.
 *
 * <p>Blocks are fixed by the maximum length, not by the batch, so the pattern of a sequence does not depend on how
 * much padding follows it. A shorter sequence has fewer blocks; a query whose key block lies wholly beyond the
 * sequence (or is all padding) sees no key and gets a zero context vector. Time and memory are O(N^2 / n).
 */
public final class BlockwiseAttention extends ExactPatternAttention {

    public static final String NAME = "blockwise";

    private final int numBlocks;
    private final int blockSize;
    private final float scale;

    public BlockwiseAttention(AttentionBuild build) {
        super(build);
        this.numBlocks = build.config().numBlocks();
        this.blockSize = (build.maxLength() + numBlocks - 1) / numBlocks;
        if (build.maxLength() > 0 && blockSize <= 0) {
            throw new IllegalArgumentException("num_blocks " + numBlocks + " leaves empty blocks");
        }
        this.scale = (float) (1.0 / Math.sqrt(headSize));
    }

    /** The key block that query block {@code block} of head {@code head} attends to. */
    int keyBlock(int head, int block) {
        return (block + head) % numBlocks;
    }

    int blockSize() {
        return blockSize;
    }

    @Override
    protected PartialAttention pattern(NDArray q, NDArray k, NDArray v, NDArray additiveKeyMask, boolean training,
            boolean withLse) {
        // q, k, v: (B, H, N, D); additiveKeyMask: (B, 1, 1, N)
        Shape s = q.getShape();
        long b = s.get(0);
        long n = s.get(2);
        long d = s.get(3);
        // A sequence within the first block is that block: no padding to the full block length.
        int blockSize = n <= this.blockSize ? (int) n : this.blockSize;
        long np = SequencePadding.paddedLength(n, blockSize);
        int nb = (int) (np / blockSize);
        NDManager manager = q.getManager();

        // Per (head, query block): the key block, clamped into range, and whether it exists at this length.
        long[] target = new long[numHeads * nb];
        float[] absent = new float[numHeads * nb];
        for (int h = 0; h < numHeads; h++) {
            for (int i = 0; i < nb; i++) {
                int t = keyBlock(h, i);
                target[h * nb + i] = t < nb ? h * nb + t : h * nb;
                absent[h * nb + i] = t < nb ? 0f : AttentionMasks.maskedScore(q.getDataType());
            }
        }
        NDArray index = manager.create(target);
        // (B, H*nb, bs*D) blocks, gathered by flat (head, block) index: one advanced-indexing op per tensor.
        NDArray kb = SequencePadding.append(k, 2, np - n, 0f).reshape(b, (long) numHeads * nb, blockSize * d)
                .get(":, {}", index).reshape(b, numHeads, nb, blockSize, d);
        NDArray vb = SequencePadding.append(v, 2, np - n, 0f).reshape(b, (long) numHeads * nb, blockSize * d)
                .get(":, {}", index).reshape(b, numHeads, nb, blockSize, d);
        NDArray keyIndex = manager.create(target).sub(Scalars.offsets(manager, numHeads, nb).repeat(0, nb));
        NDArray mask = SequencePadding.append(additiveKeyMask.reshape(b, n), 1, np - n,
                        AttentionMasks.maskedScore(additiveKeyMask.getDataType()))
                .reshape(b, nb, blockSize).get(":, {}", keyIndex).reshape(b, numHeads, nb, 1, blockSize)
                .add(manager.create(absent, new Shape(1, numHeads, nb, 1, 1)).toType(q.getDataType(), false));
        NDArray qb = SequencePadding.append(q, 2, np - n, 0f).reshape(b, numHeads, nb, blockSize, d);
        qb = Scalars.mul(qb, scale);
        NDArray scores = qb.matMul(kb.transpose(0, 1, 2, 4, 3)).add(mask);
        // A query block whose key block is absent or all padding sees nothing: its context is 0.
        NDArray seesAny = mask.max(new int[] {-1}, true).gt(AttentionMasks.maskedScore(mask.getDataType()) / 2)
                .toType(q.getDataType(), false);
        NDArray[] pl = PartialAttention.softmax(scores, withLse);
        NDArray lse = withLse ? pl[1].reshape(b, numHeads, np, 1).get(":, :, 0:" + n) : null;
        NDArray out = dropProbabilities(pl[0], training).matMul(vb).mul(seesAny).reshape(b, numHeads, np, d)
                .get(":, :, 0:" + n);
        return new PartialAttention(out, lse);
    }
}
