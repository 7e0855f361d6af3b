package io.encoder4j.datasets.tasks.qa;

import io.encoder4j.datasets.sampling.BatchOrder;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SQuAD examples cut into windowed features ({@link QaFeature}), served as padded {@link QaBatch}es.
 *
 * <p>Windows: the context is tokenised once with character offsets; windows of {@code maxLength - |question| - 4}
 * context tokens start every {@code window - docStride} tokens until one reaches the end (as the {@code tokenizers}
 * overflow of Hugging Face's run_qa). Labels follow run_qa's {@code prepare_train_features}, using the first gold
 * answer: the start label is the context token holding the answer's first character, the end label the token
 * holding its last; a window that does not hold both, and every window of an unanswerable (v2.0) question, is
 * labelled (0, 0), the position of {@code <s>}.
 */
public final class QaFeatures {

    private static final int ENCODE_CHUNK = 512;

    private final List<SquadExample> examples;
    private final List<QaFeature> features;
    private final int padId;

    private QaFeatures(List<SquadExample> examples, List<QaFeature> features, int padId) {
        this.examples = List.copyOf(examples);
        this.features = List.copyOf(features);
        this.padId = padId;
    }

    /** Tokenises and windows {@code examples}; each distinct context is encoded once. */
    public static QaFeatures build(List<SquadExample> examples, TextTokenizer tokenizer, QaWindowing windowing) {
        int bos = tokenizer.bosId();
        int eos = tokenizer.eosId();
        List<QaFeature> features = new ArrayList<>();
        for (int start = 0; start < examples.size(); start += ENCODE_CHUNK) {
            List<SquadExample> chunk = examples.subList(start, Math.min(examples.size(), start + ENCODE_CHUNK));
            List<int[]> questions = tokenizer.encodeBatch(chunk.stream().map(SquadExample::question).toList());
            // Consecutive questions usually share their paragraph: encode each distinct context of the chunk once.
            List<String> contexts = new ArrayList<>();
            int[] contextOf = new int[chunk.size()];
            for (int i = 0; i < chunk.size(); i++) {
                String c = chunk.get(i).context();
                if (contexts.isEmpty() || !contexts.get(contexts.size() - 1).equals(c)) {
                    contexts.add(c);
                }
                contextOf[i] = contexts.size() - 1;
            }
            var encoded = tokenizer.encodeBatchWithOffsets(contexts);
            for (int i = 0; i < chunk.size(); i++) {
                var context = encoded.get(contextOf[i]);
                int[] q = questions.get(i);
                if (q.length > windowing.maxQueryLength()) {
                    q = Arrays.copyOf(q, windowing.maxQueryLength());
                }
                window(start + i, chunk.get(i), q, context.ids(), context.starts(), context.ends(), windowing, bos,
                        eos, features);
            }
        }
        return new QaFeatures(examples, features, tokenizer.padId());
    }

    private static void window(int exampleIndex, SquadExample example, int[] q, int[] ids, int[] starts, int[] ends,
            QaWindowing windowing, int bos, int eos, List<QaFeature> out) {
        int window = windowing.maxLength() - q.length - 4;
        int step = window - windowing.docStride();
        int contextStart = q.length + 3;
        // The answer's first and last tokens in the whole context (first gold answer, as run_qa trains on).
        int answerFirst = -1;
        int answerLast = -1;
        if (!example.impossible()) {
            SquadAnswer answer = example.answers().get(0);
            for (int t = 0; t < ids.length; t++) {
                if (starts[t] == ends[t]) {
                    continue; // a token of spaces only: it covers no character
                }
                if (answerFirst < 0 && ends[t] > answer.start()) {
                    answerFirst = t;
                }
                if (starts[t] < answer.end()) {
                    answerLast = t;
                }
            }
            if (answerFirst < 0 || answerLast < answerFirst) {
                answerFirst = answerLast = -1;
            }
        }
        for (int from = 0; ; from += step) {
            int to = Math.min(ids.length, from + window);
            int n = to - from;
            int[] input = new int[contextStart + n + 1];
            input[0] = bos;
            System.arraycopy(q, 0, input, 1, q.length);
            input[q.length + 1] = eos;
            input[q.length + 2] = eos;
            System.arraycopy(ids, from, input, contextStart, n);
            input[contextStart + n] = eos;
            int startPosition = 0;
            int endPosition = 0;
            if (answerFirst >= from && answerLast < to) {
                startPosition = contextStart + answerFirst - from;
                endPosition = contextStart + answerLast - from;
            }
            out.add(new QaFeature(exampleIndex, input, contextStart, Arrays.copyOfRange(starts, from, to),
                    Arrays.copyOfRange(ends, from, to), startPosition, endPosition));
            if (to == ids.length) {
                break;
            }
        }
    }

    public List<SquadExample> examples() {
        return examples;
    }

    public List<QaFeature> features() {
        return features;
    }

    public int size() {
        return features.size();
    }

    public QaFeature feature(int index) {
        return features.get(index);
    }

    /** The features {@code rows}, padded to the longest of them. */
    public QaBatch batch(long[] rows) {
        int b = rows.length;
        int n = 0;
        for (long r : rows) {
            n = Math.max(n, features.get(Math.toIntExact(r)).inputIds().length);
        }
        int[] ids = new int[b * n];
        int[] mask = new int[b * n];
        int[] starts = new int[b];
        int[] ends = new int[b];
        Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            QaFeature f = features.get((int) rows[i]);
            System.arraycopy(f.inputIds(), 0, ids, i * n, f.inputIds().length);
            Arrays.fill(mask, i * n, i * n + f.inputIds().length, 1);
            starts[i] = f.startPosition();
            ends[i] = f.endPosition();
        }
        return new QaBatch(b, n, ids, mask, starts, ends, rows.clone());
    }

    /** Batch {@code k} of {@code order}. */
    public QaBatch batch(BatchOrder order, long k) {
        return batch(order.rows(k));
    }
}
