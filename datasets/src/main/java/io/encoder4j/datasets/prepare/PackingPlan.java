package io.encoder4j.datasets.prepare;

import io.encoder4j.core.io.FileTrees;
import io.encoder4j.datasets.arrow.ArrowShardWriter;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Stage 2 of {@code prepare}, as a function of the token caches: which rows the prepared data has, which split each
 * row goes to, and which rows each output shard holds, so that any shard can be written on its own, in any order, in
 * this process or on a Spark worker, and come out the same.
 *
 * <p>Row {@code g} of the packed corpus ({@link PackedRows}) goes to validation when
 * {@code floor((g + 1) f) > floor(g f)}, which holds out every (1/f)-th row, spread evenly over the corpus. So
 * {@code floor(g f)} of the rows before row {@code g} are held out: the indicators telescope, because the rounded
 * product {@code g f} grows monotonically with {@code g} and, for {@code f < 1}, by less than one per row (rounding adds
 * at most {@code g 2^-52}, checked to stay below {@code 1 - f}). The {@code n}-th row of a split is found by
 * bisection. Shard {@code s} of a split holds that split's rows {@code [s R, (s + 1) R)}, {@code R = rows_per_shard},
 * written with {@link ArrowShardWriter} exactly as one writer going through the split in order would write them.
 */
public final class PackingPlan implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final int ROWS_PER_BATCH = 1024;

    private final List<String> tokenDirs;
    private final long[] documents;
    private final long[] tokens;
    private final Packing packing;
    private final int seqLength;
    private final double validationFraction;
    private final int bos;
    private final int eos;
    private final int vocab;
    private final int rowsPerShard;
    private final long rows;

    PackingPlan(List<String> tokenDirs, long[] documents, long[] tokens, Packing packing, int seqLength,
            double validationFraction, int bos, int eos, int vocab, int rowsPerShard) {
        this.tokenDirs = List.copyOf(tokenDirs);
        this.documents = documents;
        this.tokens = tokens;
        this.packing = packing;
        this.seqLength = seqLength;
        this.validationFraction = validationFraction;
        this.bos = bos;
        this.eos = eos;
        this.vocab = vocab;
        this.rowsPerShard = rowsPerShard;
        long docs = 0;
        long stream = 0;
        for (int i = 0; i < documents.length; i++) {
            docs += documents[i];
            stream += tokens[i] + documents[i]; // every document is followed by </s>
        }
        // group_texts cuts the stream into blocks of seq_length - 2 and drops the incomplete tail.
        rows = packing == Packing.PER_EXAMPLE ? docs : stream / (seqLength - 2);
        if (rows * 0x1p-52 >= 1 - validationFraction) {
            throw new IllegalArgumentException("validation_fraction " + validationFraction + " is too close to 1 for "
                    + rows + " rows");
        }
    }

    /** The plan for packing {@code caches}, in order, as {@code config} says, framed with {@code tokenizer}'s ids. */
    public static PackingPlan of(List<TokenCache.Entry> caches, PrepareConfig config, TextTokenizer tokenizer) {
        List<String> dirs = new ArrayList<>();
        long[] documents = new long[caches.size()];
        long[] tokens = new long[caches.size()];
        for (int i = 0; i < caches.size(); i++) {
            dirs.add(caches.get(i).dir().toAbsolutePath().toString());
            documents[i] = caches.get(i).documents();
            tokens[i] = caches.get(i).tokens();
        }
        return new PackingPlan(dirs, documents, tokens, config.packingMode(), config.seqLength(),
                config.validationFraction(), tokenizer.bosId(), tokenizer.eosId(), tokenizer.vocabSize(),
                config.rowsPerShard());
    }

    /** Whether row {@code row} is held out for validation (every (1/f)-th row). */
    public static boolean heldOut(long row, double f) {
        return Math.floor((row + 1) * f) > Math.floor(row * f);
    }

    /** Held-out rows among rows {@code [0, row)}. */
    private long validationBefore(long row) {
        return (long) Math.floor(row * validationFraction);
    }

    private long before(boolean validation, long row) {
        return validation ? validationBefore(row) : row - validationBefore(row);
    }

    /** Rows of the packed corpus, both splits. */
    public long rows() {
        return rows;
    }

    public long validationRows() {
        return validationBefore(rows);
    }

    public long trainRows() {
        return rows - validationRows();
    }

    private long rows(boolean validation) {
        return validation ? validationRows() : trainRows();
    }

    /** The number of shards of a split (0 for an empty split). */
    public int shards(boolean validation) {
        return Math.toIntExact((rows(validation) + rowsPerShard - 1) / rowsPerShard);
    }

    public int vocab() {
        return vocab;
    }

    Packing packing() {
        return packing;
    }

    int seqLength() {
        return seqLength;
    }

    int bos() {
        return bos;
    }

    int eos() {
        return eos;
    }

    List<String> tokenDirs() {
        return tokenDirs;
    }

    long[] documents() {
        return documents;
    }

    long[] tokens() {
        return tokens;
    }

    /** The packed-corpus index of the {@code n}-th row ({@code 0 <= n < rows(split)}) of a split. */
    long nthRow(boolean validation, long n) {
        if (n < 0 || n >= rows(validation)) {
            throw new IndexOutOfBoundsException("row " + n + " of " + rows(validation));
        }
        // The smallest g whose rows [0, g] hold n + 1 rows of the split; rows [0, g) hold at most g of them.
        long lo = n;
        long hi = rows - 1;
        while (lo < hi) {
            long mid = lo + (hi - lo) / 2;
            if (before(validation, mid + 1) > n) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /**
     * Writes shard {@code shard} of a split as {@code splitDir/shard-NNNNN.arrow}: first into a directory of its own,
     * then renamed into place, so a task that is retried or run twice (Spark's speculation) replaces the file whole,
     * with the same bytes.
     *
     * @return the statistics of the shard's rows
     */
    public SplitStats writeShard(boolean validation, int shard, Path splitDir) throws IOException {
        long first = (long) shard * rowsPerShard;
        long count = Math.min(rowsPerShard, rows(validation) - first);
        if (shard < 0 || count <= 0) {
            throw new IndexOutOfBoundsException("shard " + shard + " of " + shards(validation));
        }
        SplitStats stats = new SplitStats(vocab);
        Path part = splitDir.resolve(".part-" + shard + "-" + UUID.randomUUID());
        try {
            try (PackedRows packed = new PackedRows(this);
                    ArrowShardWriter writer = new ArrowShardWriter(part, ROWS_PER_BATCH, rowsPerShard)) {
                int[] row = new int[seqLength];
                long g = nthRow(validation, first);
                for (long written = 0; written < count; g++) {
                    if (heldOut(g, validationFraction) != validation) {
                        continue;
                    }
                    int length = packed.row(g, row);
                    writer.write(row, 0, length);
                    stats.add(row, length, packed.truncated());
                    written++;
                }
            }
            Files.move(part.resolve(ArrowShardWriter.shardName(0)), splitDir.resolve(ArrowShardWriter.shardName(shard)),
                    StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            FileTrees.deleteRecursively(part);
        }
        return stats;
    }
}
