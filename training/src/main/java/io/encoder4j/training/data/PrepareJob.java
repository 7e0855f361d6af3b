package io.encoder4j.training.data;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.datasets.prepare.DataPreparer;
import io.encoder4j.datasets.prepare.PrepareExecutor;
import io.encoder4j.datasets.prepare.PrepareJobConfig;
import io.encoder4j.datasets.prepare.PreparedCorpus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code encoder4j prepare job.yaml}: tokenises the job's corpus into Arrow shards (or finds them in the cache) and
 * prints where they are. See {@link DataPreparer} and docs/data.md.
 */
public final class PrepareJob {

    private PrepareJob() {}

    /** Loads the job in {@code file} with {@code overrides}, prepares its data and prints a summary to {@code out}. */
    public static PreparedCorpus run(Path file, List<String> overrides, PrintWriter out) throws IOException {
        return run(file, overrides, out, null);
    }

    /**
     * As {@link #run(Path, List, PrintWriter)}, on Apache Spark when {@code sparkMaster} (the {@code --spark} option,
     * e.g. {@code local[2]}) is given: the spark module's executor, found on the classpath, writes the same files.
     */
    public static PreparedCorpus run(Path file, List<String> overrides, PrintWriter out, String sparkMaster)
            throws IOException {
        PrepareJobConfig job = ConfigLoader.load(file, PrepareJobConfig.class, overrides);
        PreparedCorpus prepared;
        try (PrepareExecutor executor = sparkMaster == null ? PrepareExecutor.IN_PROCESS
                : PrepareExecutor.open("spark", sparkMaster, "--spark")) {
            try {
                prepared = DataPreparer.prepare(job.data(), "data", executor);
            } catch (ConfigException e) {
                throw new ConfigException(file + ": " + e.getMessage(), e);
            }
        }
        out.printf("%s %s%n", prepared.reused() ? "reused" : "prepared", prepared.directory());
        out.printf("  packing %s, seq_length %d, %d train rows (%d tokens), %d validation rows%n",
                prepared.packing().yamlName(), prepared.seqLength(), prepared.trainRows(), prepared.trainTokens(),
                prepared.validationRows());
        out.printf("  fingerprint %s, tokenizer %s%n", prepared.fingerprint(), prepared.tokenizerJson());
        out.flush();
        return prepared;
    }
}
