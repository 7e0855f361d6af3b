package io.encoder4j.datasets.prepare;

import io.encoder4j.datasets.arrow.ArrowShardReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Row {@code g} of the packed corpus, read from the memory-mapped token caches of a {@link PackingPlan}:
 *
 * <ul>
 *   <li>{@code group_texts}: the documents of every cache, in order, each followed by {@code </s>}, form one stream;
 *       row {@code g} is {@code <s>}, stream positions {@code [g C, (g + 1) C)}, {@code </s>}, with
 *       {@code C = seq_length - 2} (RoBERTa's FULL-SENTENCES, Liu et al. 2019, section 4.2).</li>
 *   <li>{@code per_example}: row {@code g} is document {@code g}, cut to {@code C} tokens and framed the same way.</li>
 * </ul>
 *
 * Rows are found by bisection over the caches and their documents, so any row can be read first; reading the next row
 * continues where the last one ended. A cache is opened when a row first needs it.
 */
final class PackedRows implements AutoCloseable {

    private final PackingPlan plan;
    private final int content;
    private final ArrowShardReader[] readers;
    /** start[i]: where cache i begins, in stream positions (group_texts) or documents (per_example); start[n] = end. */
    private final long[] start;

    // Where the row after `next - 1` begins (group_texts): cache, document, and position within the document, which
    // equals the document's length at its </s>.
    private long next = -1;
    private int cache;
    private long doc;
    private int offset;
    private boolean truncated;

    PackedRows(PackingPlan plan) {
        this.plan = plan;
        this.content = plan.seqLength() - 2;
        int n = plan.documents().length;
        readers = new ArrowShardReader[n];
        start = new long[n + 1];
        boolean perExample = plan.packing() == Packing.PER_EXAMPLE;
        for (int i = 0; i < n; i++) {
            start[i + 1] = start[i] + plan.documents()[i] + (perExample ? 0 : plan.tokens()[i]);
        }
    }

    /** Writes row {@code g} into {@code row} and returns its length. */
    int row(long g, int[] row) {
        return plan.packing() == Packing.PER_EXAMPLE ? example(g, row) : block(g, row);
    }

    /** Whether the last row read was a document cut to fit ({@code per_example}). */
    boolean truncated() {
        return truncated;
    }

    private int example(long g, int[] row) {
        int i = cacheAt(g);
        ArrowShardReader reader = reader(i);
        long d = g - start[i];
        int length = reader.rowLength(d);
        int kept = Math.min(length, content);
        truncated = kept < length;
        row[0] = plan.bos();
        reader.copyRange(d, 0, row, 1, kept);
        row[kept + 1] = plan.eos();
        return kept + 2;
    }

    private int block(long g, int[] row) {
        if (g != next) {
            seek(g * content);
        }
        row[0] = plan.bos();
        int filled = 0;
        while (filled < content) {
            ArrowShardReader reader = reader(cache);
            int length = reader.rowLength(doc);
            if (offset < length) {
                int n = Math.min(length - offset, content - filled);
                reader.copyRange(doc, offset, row, 1 + filled, n);
                offset += n;
                filled += n;
            } else {
                row[1 + filled++] = plan.eos();
                nextDocument();
            }
        }
        row[content + 1] = plan.eos();
        truncated = false;
        next = g + 1;
        return content + 2;
    }

    /** Positions the stream at {@code position}. */
    private void seek(long position) {
        cache = cacheAt(position);
        ArrowShardReader reader = reader(cache);
        long q = position - start[cache];
        // The last document d whose stream start (tokens before it, plus one </s> per earlier document) is <= q.
        long lo = 0;
        long hi = plan.documents()[cache] - 1;
        while (lo < hi) {
            long mid = lo + (hi - lo + 1) / 2;
            if (reader.tokensBefore(mid) + mid <= q) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        doc = lo;
        offset = Math.toIntExact(q - (reader.tokensBefore(lo) + lo));
    }

    private void nextDocument() {
        doc++;
        offset = 0;
        while (cache < plan.documents().length && doc == plan.documents()[cache]) {
            cache++;
            doc = 0;
        }
    }

    /** The cache holding position (or document) {@code p}: the last i with start[i] <= p, which skips empty caches. */
    private int cacheAt(long p) {
        int lo = 0;
        int hi = start.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (start[mid] <= p) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private ArrowShardReader reader(int i) {
        if (readers[i] == null) {
            try {
                readers[i] = ArrowShardReader.open(Path.of(plan.tokenDirs().get(i)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return readers[i];
    }

    @Override
    public void close() {
        for (ArrowShardReader reader : readers) {
            if (reader != null) {
                reader.close();
            }
        }
    }
}
