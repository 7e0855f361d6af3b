package io.encoder4j.core.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.encoder4j.core.tensor.Scalars;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * BigBird ITC block-sparse attention (Zaheer et al. 2020, section 2 and appendix D): the sequence is cut into blocks
 * of b positions; the first g blocks are global (they attend to every key and every query attends to them, the
 * "internal transformer construction" that makes existing tokens global); every other query block i attends to the
 * global blocks, the sliding blocks i - 1, i, i + 1, and r random blocks.
 *
 * <p>Random blocks are drawn once per layer, head and query block from the seed, among the blocks of the maximum
 * length that are neither global nor sliding, and used alike in training and evaluation (like the original
 * implementation's fixed per-layer pattern; Hugging Face instead redraws them at every training forward pass and
 * uses none in evaluation). Because the draw depends on the maximum length and not on the batch, padding never
 * changes the pattern; a random block beyond a shorter sequence is simply empty. Sparse query blocks gather their
 * g + 3 + r key blocks (slots that repeat a global block or fall outside the sequence are masked), so time and
 * memory are O(N b (g + 3 + r)); the g global query blocks cost O(N g b).
 */
public final class BigBirdAttention extends ExactPatternAttention {

    public static final String NAME = "bigbird";

    private final int blockSize;
    private final int globalBlocks;
    private final int randomBlocks;
    /** randomKeyBlocks[h][i]: the random key blocks of query block i in head h, over the maximum length. */
    private final int[][][] randomKeyBlocks;
    private final float scale;

    public BigBirdAttention(AttentionBuild build) {
        super(build);
        AttentionConfig c = build.config();
        this.blockSize = c.blockSize();
        this.globalBlocks = c.numGlobalBlocks();
        this.randomBlocks = c.numRandomBlocks();
        this.scale = (float) (1.0 / Math.sqrt(headSize));
        int maxBlocks = (build.maxLength() + blockSize - 1) / blockSize;
        this.randomKeyBlocks = drawRandomBlocks(build.layerSeed(), numHeads, maxBlocks, globalBlocks, randomBlocks);
    }

    /** Pure: r distinct blocks per (head, query block) from the blocks that are neither global nor sliding. */
    static int[][][] drawRandomBlocks(long seed, int heads, int maxBlocks, int globalBlocks, int randomBlocks) {
        int[][][] out = new int[heads][maxBlocks][];
        for (int h = 0; h < heads; h++) {
            Random random = new Random(seed * 31 + h);
            for (int i = 0; i < maxBlocks; i++) {
                List<Integer> candidates = new ArrayList<>();
                for (int j = globalBlocks; j < maxBlocks; j++) {
                    if (Math.abs(j - i) > 1) {
                        candidates.add(j);
                    }
                }
                Collections.shuffle(candidates, random);
                out[h][i] = candidates.subList(0, Math.min(randomBlocks, candidates.size())).stream()
                        .mapToInt(Integer::intValue).sorted().toArray();
            }
        }
        return out;
    }

    /** Whether query position i of head h may see key position j (the pattern, before padding). */
    boolean visible(int head, int i, int j) {
        int bi = i / blockSize;
        int bj = j / blockSize;
        if (bi < globalBlocks || bj < globalBlocks || Math.abs(bi - bj) <= 1) {
            return true;
        }
        for (int r : randomKeyBlocks[head][bi]) {
            if (r == bj) {
                return true;
            }
        }
        return false;
    }

    @Override
    protected PartialAttention pattern(NDArray q, NDArray k, NDArray v, NDArray additiveKeyMask, boolean training,
            boolean withLse) {
        // q, k, v: (B, H, N, D); additiveKeyMask: (B, 1, 1, N)
        Shape s = q.getShape();
        long b = s.get(0);
        long n = s.get(2);
        long d = s.get(3);
        long np = SequencePadding.paddedLength(n, blockSize);
        int nb = (int) (np / blockSize);
        int g = Math.min(globalBlocks, nb);
        long globalRows = Math.min((long) g * blockSize, n);
        NDArray qs = Scalars.mul(q, scale);
        List<NDArray> outs = new ArrayList<>();
        List<NDArray> lses = new ArrayList<>();
        if (globalRows > 0) {
            // Global query blocks: dense attention over every key, (B, H, gb, N).
            NDArray scores = qs.get(":, :, 0:" + globalRows).matMul(k.transpose(0, 1, 3, 2)).add(additiveKeyMask);
            addPart(scores, v, withLse, training, outs, lses);
        }
        if (nb > g) {
            int nq = nb - g;
            int slots = globalBlocks + 3 + randomBlocks;
            long[] index = new long[numHeads * nq * slots];
            float[] absent = new float[numHeads * nq * slots];
            for (int h = 0; h < numHeads; h++) {
                for (int i = g; i < nb; i++) {
                    int base = (h * nq + (i - g)) * slots;
                    int slot = 0;
                    for (int j = 0; j < globalBlocks; j++) {
                        fill(index, absent, base + slot++, h, nb, j < nb ? j : -1);
                    }
                    for (int j = i - 1; j <= i + 1; j++) {
                        // A sliding block that is global is already in the global slots.
                        fill(index, absent, base + slot++, h, nb, j >= globalBlocks && j < nb ? j : -1);
                    }
                    int[] random = randomKeyBlocks[h][i];
                    for (int r = 0; r < randomBlocks; r++) {
                        fill(index, absent, base + slot++, h, nb, r < random.length && random[r] < nb ? random[r] : -1);
                    }
                }
            }
            NDManager manager = q.getManager();
            NDArray flatIndex = manager.create(index);
            long keys = (long) slots * blockSize;
            // (B, H*nb, bs*D) key/value blocks gathered into (B, H, nq, slots*bs, D).
            NDArray kb = SequencePadding.append(k, 2, np - n, 0f).reshape(b, (long) numHeads * nb, blockSize * d)
                    .get(":, {}", flatIndex).reshape(b, numHeads, nq, keys, d);
            NDArray vb = SequencePadding.append(v, 2, np - n, 0f).reshape(b, (long) numHeads * nb, blockSize * d)
                    .get(":, {}", flatIndex).reshape(b, numHeads, nq, keys, d);
            NDArray blockOfSlot = flatIndex.sub(Scalars.offsets(manager, numHeads, nb)
                    .repeat(0, (long) nq * slots));
            NDArray mask = SequencePadding.append(additiveKeyMask.reshape(b, n), 1, np - n,
                            AttentionMasks.maskedScore(additiveKeyMask.getDataType()))
                    .reshape(b, nb, blockSize).get(":, {}", blockOfSlot)
                    .reshape(b, numHeads, nq, slots, blockSize)
                    .add(manager.create(absent, new Shape(1, numHeads, nq, slots, 1)).toType(q.getDataType(), false))
                    .reshape(b, numHeads, nq, 1, keys);
            NDArray qb = SequencePadding.append(qs, 2, np - n, 0f)
                    .get(":, :, " + (long) g * blockSize + ":").reshape(b, numHeads, nq, blockSize, d);
            NDArray scores = qb.matMul(kb.transpose(0, 1, 2, 4, 3)).add(mask);
            NDArray[] pl = PartialAttention.softmax(scores, withLse);
            if (withLse) {
                lses.add(pl[1].reshape(b, numHeads, (long) nq * blockSize, 1));
            }
            outs.add(dropProbabilities(pl[0], training).matMul(vb).reshape(b, numHeads, (long) nq * blockSize, d));
        }
        NDArray out = concat(outs).get(":, :, 0:" + n);
        return new PartialAttention(out, withLse ? concat(lses).get(":, :, 0:" + n) : null);
    }

    private void addPart(NDArray scores, NDArray v, boolean withLse, boolean training, List<NDArray> outs,
            List<NDArray> lses) {
        NDArray[] pl = PartialAttention.softmax(scores, withLse);
        outs.add(dropProbabilities(pl[0], training).matMul(v));
        if (withLse) {
            lses.add(pl[1]);
        }
    }

    /** Slot {@code at} points at key block {@code block} of head h (block -1: an unused, masked slot). */
    private static void fill(long[] index, float[] absent, int at, int h, int nb, int block) {
        index[at] = (long) h * nb + Math.max(block, 0);
        absent[at] = block < 0 ? AttentionMasks.MASKED_SCORE : 0f;
    }

    private static NDArray concat(List<NDArray> parts) {
        NDArray all = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            all = all.concat(parts.get(i), 2);
        }
        return all;
    }
}
