package io.encoder4j.datasets.prepare;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.corpus.Corpus;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Where the two heavy steps of {@link DataPreparer} run: {@link #IN_PROCESS}, or distributed over a cluster (the
 * {@code spark} module's executor, found through {@link Provider}). Everything else (resolving the corpus and the
 * tokenizer, fingerprints and cache reuse, the plan, the manifest, the atomic rename) is {@link DataPreparer}'s own, so
 * every executor writes the same files.
 */
public interface PrepareExecutor extends AutoCloseable {

    /**
     * Stage 1: {@link TokenCache#prepare} of every source, returned in source order.
     *
     * @throws ConfigException the error of the first failing source, in source order
     */
    List<TokenCache.Entry> tokenize(List<Corpus.Source> sources, Path tokenizerJson, String tokenizerSha,
            PrepareConfig config, Path cache) throws IOException;

    /**
     * Stage 2: writes every shard of {@code plan} ({@link PackingPlan#writeShard}) into {@code dir/train} and
     * {@code dir/validation}, which exist.
     *
     * @return the statistics of the train and of the validation rows, in that order
     */
    SplitStats[] pack(PackingPlan plan, Path dir) throws IOException;

    @Override
    default void close() {}

    /** Both stages in this process, source after source and shard after shard. */
    PrepareExecutor IN_PROCESS = new PrepareExecutor() {
        @Override
        public List<TokenCache.Entry> tokenize(List<Corpus.Source> sources, Path tokenizerJson, String tokenizerSha,
                PrepareConfig config, Path cache) throws IOException {
            List<TokenCache.Entry> entries = new ArrayList<>();
            try (TextTokenizer tokenizer = TextTokenizer.load(tokenizerJson)) {
                for (Corpus.Source source : sources) {
                    entries.add(TokenCache.prepare(source, source.path().toString(), tokenizer, tokenizerSha,
                            config.skipBadRows(), config.rowsPerShard(), cache));
                }
            }
            return entries;
        }

        @Override
        public SplitStats[] pack(PackingPlan plan, Path dir) throws IOException {
            SplitStats[] stats = {new SplitStats(plan.vocab()), new SplitStats(plan.vocab())};
            for (int split = 0; split < 2; split++) {
                boolean validation = split == 1;
                Path splitDir = dir.resolve(validation ? "validation" : "train");
                for (int s = 0; s < plan.shards(validation); s++) {
                    stats[split].merge(plan.writeShard(validation, s, splitDir));
                }
            }
            return stats;
        }
    };

    /** Makes executors of one kind; registered in {@code META-INF/services}. */
    interface Provider {

        /** The kind, e.g. {@code spark}. */
        String name();

        /**
         * An executor on {@code master} (for Spark a master URL such as {@code local[2]}); close it when done.
         *
         * @param option how the user gave the master (e.g. {@code --spark}), for messages
         * @throws ConfigException naming {@code option} if the master is malformed or cannot be reached
         */
        PrepareExecutor open(String master, String option);
    }

    /**
     * An executor of kind {@code name} on {@code master}.
     *
     * @throws ConfigException naming {@code option} if no such kind is on the classpath
     */
    static PrepareExecutor open(String name, String master, String option) {
        for (Provider provider : ServiceLoader.load(Provider.class)) {
            if (provider.name().equals(name)) {
                return provider.open(master, option);
            }
        }
        throw new ConfigException(option + ": the " + name + " module is not on the classpath (bin/encoder4j adds it "
                + "for " + option + "; a bundle built without it, such as the GPU bundle, cannot use " + option + ")");
    }
}
