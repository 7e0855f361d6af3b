package io.encoder4j.datasets.tasks.tagging;

import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.datasets.tasks.SequenceFraming;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tagged sentences encoded for token classification as transformers' {@code run_ner} does with
 * {@code label_all_tokens=False}: each word is encoded on its own (every word after the first with a leading space,
 * as byte-level BPE sees it inside a sentence), framed {@code <s> ... </s>} and truncated to {@code maxLength}; the
 * first sub-word of a word carries the word's tag id, its other sub-words, {@code <s>}, {@code </s>} and padding
 * carry {@link #IGNORE} (-100).
 */
public final class TokenClassificationFeatures {

    /** The label of positions that do not count (PyTorch's ignore index). */
    public static final int IGNORE = -100;

    private final int[][] inputIds;
    private final int[][] labels;
    private final int[][] wordStarts;
    private final int padId;
    private final long truncated;

    private TokenClassificationFeatures(int[][] inputIds, int[][] labels, int[][] wordStarts, int padId,
            long truncated) {
        this.inputIds = inputIds;
        this.labels = labels;
        this.wordStarts = wordStarts;
        this.padId = padId;
        this.truncated = truncated;
    }

    /**
     * @param labels the tag ids; tags not in it are a {@code ConfigException} naming the sentence's file and line.
     *     Examples without tags are labelled {@link #IGNORE} throughout.
     */
    public static TokenClassificationFeatures encode(List<TaggedExample> examples, LabelMap labels,
            TextTokenizer tokenizer, int maxLength) {
        SequenceFraming framing = new SequenceFraming(tokenizer.bosId(), tokenizer.eosId());
        List<String> pieces = new ArrayList<>();
        for (TaggedExample e : examples) {
            for (int i = 0; i < e.words().size(); i++) {
                pieces.add(i == 0 ? e.words().get(i) : " " + e.words().get(i));
            }
        }
        List<int[]> encoded = tokenizer.encodeBatch(pieces);
        int n = examples.size();
        int[][] ids = new int[n][];
        int[][] y = new int[n][];
        int[][] starts = new int[n][];
        long truncated = 0;
        int k = 0;
        for (int r = 0; r < n; r++) {
            TaggedExample e = examples.get(r);
            int words = e.words().size();
            int total = 0;
            for (int i = 0; i < words; i++) {
                total += encoded.get(k + i).length;
            }
            int[] body = new int[total];
            int[] bodyLabels = new int[total];
            Arrays.fill(bodyLabels, IGNORE);
            starts[r] = new int[words];
            int at = 0;
            for (int i = 0; i < words; i++) {
                int[] w = encoded.get(k + i);
                int tag = e.tags() == null ? IGNORE
                        : labels.id(e.tags().get(i), e.source() + " (word " + (i + 1) + " '" + e.words().get(i)
                                + "')");
                System.arraycopy(w, 0, body, at, w.length);
                // A word that encodes to nothing (e.g. a stray control character) has no position to label.
                starts[r][i] = w.length == 0 ? -1 : at + 1;
                if (w.length > 0) {
                    bodyLabels[at] = tag;
                }
                at += w.length;
            }
            k += words;
            ids[r] = framing.single(body, maxLength);
            int kept = ids[r].length - SequenceFraming.SINGLE_SPECIALS;
            if (kept < total) {
                truncated++;
            }
            y[r] = new int[ids[r].length];
            Arrays.fill(y[r], IGNORE);
            System.arraycopy(bodyLabels, 0, y[r], 1, kept);
            for (int i = 0; i < words; i++) {
                if (starts[r][i] > kept) {
                    starts[r][i] = -1; // cut off by truncation
                }
            }
        }
        return new TokenClassificationFeatures(ids, y, starts, tokenizer.padId(), truncated);
    }

    public int size() {
        return inputIds.length;
    }

    /** Sentences with sub-words cut off by {@code maxLength}. */
    public long truncatedCount() {
        return truncated;
    }

    /** {@code <s> ... </s>} of sentence {@code row}. */
    public int[] inputIds(int row) {
        return inputIds[row];
    }

    /** The per-position labels of sentence {@code row}, aligned with {@link #inputIds}. */
    public int[] labels(int row) {
        return labels[row];
    }

    /** The position of each word's first sub-word in {@link #inputIds}, -1 where truncated away. */
    public int[] wordStarts(int row) {
        return wordStarts[row];
    }

    /** Rows {@code rows} padded to the longest: ids, labels ({@link #IGNORE} at padding) and mask, row-major. */
    public Batch batch(long[] rows) {
        int b = rows.length;
        int n = 0;
        for (long r : rows) {
            n = Math.max(n, inputIds[(int) r].length);
        }
        long[] ids = new long[b * n];
        long[] y = new long[b * n];
        float[] mask = new float[b * n];
        Arrays.fill(ids, padId);
        Arrays.fill(y, IGNORE);
        for (int i = 0; i < b; i++) {
            int[] row = inputIds[(int) rows[i]];
            int[] lab = labels[(int) rows[i]];
            for (int j = 0; j < row.length; j++) {
                ids[i * n + j] = row[j];
                y[i * n + j] = lab[j];
                mask[i * n + j] = 1;
            }
        }
        return new Batch(ids, y, mask, b, n);
    }

    /** A padded batch: (B, N) ids, labels and mask, row-major. */
    public record Batch(long[] ids, long[] labels, float[] mask, int rows, int length) {}
}
