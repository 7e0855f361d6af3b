package io.encoder4j.spark;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.datasets.prepare.DataPreparer;
import io.encoder4j.datasets.prepare.PrepareJobConfig;
import io.encoder4j.datasets.prepare.PreparedCorpus;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The entry point for {@code spark-submit}: prepares the data of a {@code prepare} job on the cluster spark-submit
 * names, exactly as {@code bin/encoder4j prepare} would in one process.
 *
 * <pre>
 * spark-submit --master spark://HOST:7077 --class io.encoder4j.spark.SparkPrepareMain \
 *     spark/target/encoder4j-spark-VERSION-job.jar job.yaml [key=value ...]
 * </pre>
 *
 * A user error is one line on stderr and exit code 2, as in the CLI.
 */
public final class SparkPrepareMain {

    private SparkPrepareMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args[0].equals("--help") || args[0].equals("-h")) {
            System.err.println("usage: spark-submit [spark options] --class " + SparkPrepareMain.class.getName()
                    + " encoder4j-spark-VERSION-job.jar JOB.yaml [KEY=VALUE ...]");
            System.exit(2);
        }
        Path job = Path.of(args[0]);
        List<String> overrides = Arrays.asList(args).subList(1, args.length);
        PreparedCorpus prepared;
        try {
            // As bin/encoder4j prepare: the loader's messages name the file already, the preparer's are prefixed.
            PrepareJobConfig config = ConfigLoader.load(job, PrepareJobConfig.class, overrides);
            SparkConf conf = new SparkConf().setIfMissing("spark.app.name", "encoder4j prepare " + job.getFileName());
            try (SparkPrepareExecutor executor = new SparkPrepareExecutor(new JavaSparkContext(conf), true)) {
                prepared = DataPreparer.prepare(config.data(), "data", executor);
            } catch (ConfigException e) {
                throw new ConfigException(job + ": " + e.getMessage(), e);
            }
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage().lines().findFirst().orElse(""));
            System.exit(2);
            return;
        }
        System.out.printf("%s %s%n", prepared.reused() ? "reused" : "prepared", prepared.directory());
        System.out.printf("  packing %s, seq_length %d, %d train rows (%d tokens), %d validation rows%n",
                prepared.packing().yamlName(), prepared.seqLength(), prepared.trainRows(), prepared.trainTokens(),
                prepared.validationRows());
        System.out.printf("  fingerprint %s, tokenizer %s%n", prepared.fingerprint(), prepared.tokenizerJson());
    }
}
