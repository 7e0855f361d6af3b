package io.encoder4j.datasets.tasks;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.sampling.BatchOrder;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tokenised classification examples, framed {@code <s> text </s>} (or {@code <s> a </s></s> b </s>}) and truncated to
 * {@code maxLength}, served as dynamically padded {@link ClassificationBatch}es. Held in memory: a task set of
 * 100,000 examples of 128 tokens is 51 MB; a long-document set such as the 233 State of the Union addresses at 16K
 * tokens is 15 MB.
 *
 * <p>Typical use (the label map of the training set is reused for validation and stored with the model):
 *
 * <pre>{@code
 * ClassificationDataConfig data = ...;
 * List<ClassificationExample> train = ClassificationReader.read(Path.of(data.train()), data);
 * LabelMap labels = ClassificationDataset.labelMap(data, train);
 * ClassificationDataset ds = ClassificationDataset.encode(train, labels, tokenizer, data.maxLength());
 * BatchOrder order = BatchOrder.training(ds.size(), 32, seed);
 * ClassificationBatch batch = ds.batch(order.rows(step));
 * }</pre>
 */
public final class ClassificationDataset {

    private static final int ENCODE_CHUNK = 1024;

    private final int[][] inputIds;
    private final int[] labels;
    private final LabelMap labelMap;
    private final int padId;
    private final long truncated;

    private ClassificationDataset(int[][] inputIds, int[] labels, LabelMap labelMap, int padId, long truncated) {
        this.inputIds = inputIds;
        this.labels = labels;
        this.labelMap = labelMap;
        this.padId = padId;
        this.truncated = truncated;
    }

    /**
     * The label map for a job: the configured {@code labels} in that order, else the sorted distinct labels of the
     * training examples.
     */
    public static LabelMap labelMap(ClassificationDataConfig config, List<ClassificationExample> train) {
        if (config.labels() != null) {
            return LabelMap.of(config.labels());
        }
        List<String> seen = new ArrayList<>();
        for (ClassificationExample e : train) {
            if (e.label() != null) {
                seen.add(e.label());
            }
        }
        if (seen.isEmpty()) {
            throw new ConfigException("data.train: " + config.train() + " has no labelled rows");
        }
        return LabelMap.fromLabels(seen);
    }

    /**
     * Tokenises, frames and truncates {@code examples}; texts are encoded in parallel native batches.
     *
     * @throws ConfigException naming the file and line of an example whose label {@code labels} does not know
     */
    public static ClassificationDataset encode(List<ClassificationExample> examples, LabelMap labels,
            TextTokenizer tokenizer, int maxLength) {
        if (examples.isEmpty()) {
            throw new ConfigException("no examples to encode");
        }
        SequenceFraming framing = new SequenceFraming(tokenizer.bosId(), tokenizer.eosId());
        int[][] ids = new int[examples.size()][];
        int[] y = new int[examples.size()];
        long truncated = 0;
        for (int start = 0; start < examples.size(); start += ENCODE_CHUNK) {
            List<ClassificationExample> chunk = examples.subList(start, Math.min(examples.size(), start + ENCODE_CHUNK));
            List<int[]> a = tokenizer.encodeBatch(chunk.stream().map(ClassificationExample::text).toList());
            List<int[]> b = chunk.get(0).textPair() == null ? null
                    : tokenizer.encodeBatch(chunk.stream().map(e -> e.textPair() == null ? "" : e.textPair()).toList());
            for (int i = 0; i < chunk.size(); i++) {
                ClassificationExample e = chunk.get(i);
                int[] framed = b == null ? framing.single(a.get(i), maxLength)
                        : framing.pair(a.get(i), b.get(i), maxLength);
                int full = a.get(i).length + (b == null ? SequenceFraming.SINGLE_SPECIALS
                        : b.get(i).length + SequenceFraming.PAIR_SPECIALS);
                if (framed.length < full) {
                    truncated++;
                }
                ids[start + i] = framed;
                y[start + i] = e.label() == null ? -1 : labels.id(e.label(), e.source());
            }
        }
        return new ClassificationDataset(ids, y, labels, tokenizer.padId(), truncated);
    }

    /**
     * A dataset of already framed sequences (for inputs with their own tokenisation, such as ListOps).
     *
     * @param inputIds framed ids per example (kept, not copied)
     * @param labels label ids per example, -1 for unlabelled
     */
    public static ClassificationDataset of(int[][] inputIds, int[] labels, LabelMap labelMap, int padId) {
        if (inputIds.length != labels.length || inputIds.length == 0) {
            throw new IllegalArgumentException(inputIds.length + " sequences but " + labels.length + " labels");
        }
        for (int y : labels) {
            if (y < -1 || y >= labelMap.size()) {
                throw new IllegalArgumentException("label id " + y + " outside the " + labelMap.size() + " labels");
            }
        }
        return new ClassificationDataset(inputIds, labels, labelMap, padId, 0);
    }

    /** Reads and encodes {@code file} with the labels of {@code labels} (a validation or test file). */
    public static ClassificationDataset load(Path file, ClassificationDataConfig config, LabelMap labels,
            TextTokenizer tokenizer) {
        return encode(ClassificationReader.read(file, config), labels, tokenizer, config.maxLength());
    }

    public int size() {
        return inputIds.length;
    }

    public LabelMap labelMap() {
        return labelMap;
    }

    /** Examples cut to {@code maxLength}. */
    public long truncatedCount() {
        return truncated;
    }

    /** The framed ids of example {@code row} (a copy). */
    public int[] inputIds(int row) {
        return inputIds[row].clone();
    }

    /** The label id of example {@code row}, -1 if unlabelled. */
    public int label(int row) {
        return labels[row];
    }

    /** The longest framed example. */
    public int maxLength() {
        int max = 0;
        for (int[] ids : inputIds) {
            max = Math.max(max, ids.length);
        }
        return max;
    }

    /** The rows {@code rows}, padded to the longest of them. */
    public ClassificationBatch batch(long[] rows) {
        int b = rows.length;
        int n = 0;
        for (long r : rows) {
            n = Math.max(n, inputIds[Math.toIntExact(r)].length);
        }
        int[] ids = new int[b * n];
        int[] mask = new int[b * n];
        int[] y = new int[b];
        java.util.Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            int[] row = inputIds[(int) rows[i]];
            System.arraycopy(row, 0, ids, i * n, row.length);
            java.util.Arrays.fill(mask, i * n, i * n + row.length, 1);
            y[i] = labels[(int) rows[i]];
        }
        return new ClassificationBatch(b, n, ids, mask, y, rows.clone());
    }

    /** Batch {@code k} of {@code order}. */
    public ClassificationBatch batch(BatchOrder order, long k) {
        return batch(order.rows(k));
    }
}
