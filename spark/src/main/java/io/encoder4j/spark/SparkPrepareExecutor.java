package io.encoder4j.spark;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.corpus.Corpus;
import io.encoder4j.datasets.corpus.CorpusFormat;
import io.encoder4j.datasets.corpus.CorpusInput;
import io.encoder4j.datasets.prepare.DataPreparer;
import io.encoder4j.datasets.prepare.PackingPlan;
import io.encoder4j.datasets.prepare.PrepareConfig;
import io.encoder4j.datasets.prepare.PrepareExecutor;
import io.encoder4j.datasets.prepare.SplitStats;
import io.encoder4j.datasets.prepare.TokenCache;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the two heavy steps of {@link DataPreparer} as Spark tasks; the driver (this process) keeps everything else,
 * so the output is the single-process preparer's, file for file.
 *
 * <ul>
 *   <li>Stage 1: one task per input source (a file or a dataset directory), largest first, each making that source's
 *       token cache with {@link TokenCache#prepare}. A source is the unit because its token cache is: splitting a file
 *       would change the cache and its name. Split a very large file into several to spread it.</li>
 *   <li>Stage 2: one task per output shard, each writing it with {@link PackingPlan#writeShard}, the same code and the
 *       same {@code ArrowShardWriter} as in one process. The shards' statistics are summed on the way back
 *       ({@code treeReduce}); the driver writes the manifest and renames the finished directory into place.</li>
 * </ul>
 *
 * Workers read the inputs and write the cache at the driver's absolute paths, so on a cluster the inputs and
 * {@code cache_dir} must be on a file system mounted at the same path on every node. The tokenizer file is shipped to
 * the workers (a broadcast), so it may live anywhere the driver can read.
 */
public final class SparkPrepareExecutor implements PrepareExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(SparkPrepareExecutor.class);

    private final JavaSparkContext spark;
    private final boolean owned;

    /**
     * @param spark the context to run on
     * @param owned whether {@link #close} stops it
     */
    public SparkPrepareExecutor(JavaSparkContext spark, boolean owned) {
        this.spark = spark;
        this.owned = owned;
    }

    /** One input source, as a task receives it: {@link Corpus.Source} with its path as a string. */
    record SourceTask(int index, String path, String label, CorpusFormat format, CorpusInput input, long bytes)
            implements Serializable {}

    /** The settings every stage-1 task shares. */
    record TokenizeSettings(String tokenizerSha, boolean skipBadRows, int rowsPerShard, String cache)
            implements Serializable {}

    /** A source's token cache directory name, or the user error that stopped it. */
    record SourceResult(int index, String cacheDir, String error) implements Serializable {}

    /** One output shard. */
    record ShardTask(boolean validation, int shard) implements Serializable {}

    /** The statistics of both splits, as the shards' are summed. */
    record Totals(SplitStats train, SplitStats validation) implements Serializable {
        Totals merge(Totals other) {
            return new Totals(train.merge(other.train), validation.merge(other.validation));
        }
    }

    @Override
    public List<TokenCache.Entry> tokenize(List<Corpus.Source> sources, Path tokenizerJson, String tokenizerSha,
            PrepareConfig config, Path cache) throws IOException {
        List<SourceTask> tasks = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            Corpus.Source s = sources.get(i);
            long bytes = 0;
            for (Path f : Corpus.files(s)) {
                bytes += Files.size(f);
            }
            tasks.add(new SourceTask(i, s.path().toAbsolutePath().toString(), s.path().toString(), s.format(),
                    s.input(), bytes));
        }
        // Largest first, so that a big input does not start last and leave the other workers idle.
        tasks.sort(Comparator.comparingLong(SourceTask::bytes).reversed().thenComparingInt(SourceTask::index));
        Files.createDirectories(cache);
        TokenizeSettings settings = new TokenizeSettings(tokenizerSha, config.skipBadRows(), config.rowsPerShard(),
                cache.toAbsolutePath().toString());
        Broadcast<byte[]> tokenizer = spark.broadcast(Files.readAllBytes(tokenizerJson));
        LOG.info("Spark ({}): tokenising {} input(s), one task each", spark.master(), tasks.size());
        List<SourceResult> results;
        try {
            results = new ArrayList<>(unwrap(() -> spark.parallelize(tasks, Math.max(1, tasks.size()))
                    .map(task -> tokenizeSource(task, settings, tokenizer.value())).collect()));
        } finally {
            tokenizer.destroy();
        }
        results.sort(Comparator.comparingInt(SourceResult::index));
        for (SourceResult r : results) {
            if (r.error() != null) {
                throw new ConfigException(r.error()); // the first failing source in source order, as in one process
            }
        }
        List<TokenCache.Entry> entries = new ArrayList<>();
        for (SourceResult r : results) {
            entries.add(TokenCache.Entry.read(cache.resolve(r.cacheDir())));
        }
        return entries;
    }

    /** A stage-1 task: the token cache of one source, with the tokenizer written to a local file for the worker. */
    static SourceResult tokenizeSource(SourceTask task, TokenizeSettings settings, byte[] tokenizerJson)
            throws IOException {
        Path local = Files.createTempFile("encoder4j-tokenizer-", ".json");
        try {
            Files.write(local, tokenizerJson);
            try (TextTokenizer tokenizer = TextTokenizer.load(local)) {
                Corpus.Source source = new Corpus.Source(Path.of(task.path()), task.format(), task.input());
                TokenCache.Entry entry = TokenCache.prepare(source, task.label(), tokenizer, settings.tokenizerSha(),
                        settings.skipBadRows(), settings.rowsPerShard(), Path.of(settings.cache()));
                return new SourceResult(task.index(), entry.dir().getFileName().toString(), null);
            } catch (ConfigException e) {
                // A user error (a bad row, a foreign id): reported, not retried; the driver reports the first one.
                return new SourceResult(task.index(), null, e.getMessage());
            }
        } finally {
            Files.deleteIfExists(local);
        }
    }

    @Override
    public SplitStats[] pack(PackingPlan plan, Path dir) throws IOException {
        List<ShardTask> tasks = new ArrayList<>();
        for (int s = 0; s < plan.shards(false); s++) {
            tasks.add(new ShardTask(false, s));
        }
        for (int s = 0; s < plan.shards(true); s++) {
            tasks.add(new ShardTask(true, s));
        }
        String root = dir.toAbsolutePath().toString();
        Broadcast<PackingPlan> shared = spark.broadcast(plan);
        LOG.info("Spark ({}): writing {} train and {} validation shard(s), one task each", spark.master(),
                plan.shards(false), plan.shards(true));
        Totals totals;
        try {
            totals = unwrap(() -> spark.parallelize(tasks, tasks.size())
                    .map(task -> writeShard(shared.value(), task, root))
                    .treeReduce(Totals::merge));
        } finally {
            shared.destroy();
        }
        return new SplitStats[] {totals.train(), totals.validation()};
    }

    /** A stage-2 task: one shard, and its statistics under its split. */
    static Totals writeShard(PackingPlan plan, ShardTask task, String root) throws IOException {
        SplitStats stats = plan.writeShard(task.validation(), task.shard(),
                Path.of(root, task.validation() ? "validation" : "train"));
        SplitStats none = new SplitStats(plan.vocab());
        return task.validation() ? new Totals(none, stats) : new Totals(stats, none);
    }

    private interface SparkJob<T> {
        T run();
    }

    /** Runs a Spark job; a task's exception comes back as Spark's wrapper, which this rethrows as the original. */
    private static <T> T unwrap(SparkJob<T> job) throws IOException {
        try {
            return job.run();
        } catch (Exception e) {
            // Scala declares no checked exceptions: Spark's SparkException (checked) arrives here undeclared.
            if (e instanceof RuntimeException r) {
                throw r;
            }
            if (!(e instanceof SparkException)) {
                throw new IOException(e.getMessage(), e);
            }
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof ConfigException c) {
                    throw c;
                }
                if (t instanceof IOException io) {
                    throw io;
                }
                if (t instanceof UncheckedIOException io) {
                    throw io.getCause();
                }
            }
            throw new IOException("Spark job failed: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    @Override
    public void close() {
        if (owned) {
            spark.stop();
        }
    }
}
