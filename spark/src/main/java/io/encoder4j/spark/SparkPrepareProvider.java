package io.encoder4j.spark;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.prepare.PrepareExecutor;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code bin/encoder4j prepare job.yaml --spark local[N]}: a {@link SparkPrepareExecutor} on a Spark context of its
 * own, in local mode (driver and executors in this JVM, N task threads). A cluster runs the job with
 * {@code spark-submit} and {@link SparkPrepareMain} instead (docs/data.md), since its executors need the job jar.
 */
public final class SparkPrepareProvider implements PrepareExecutor.Provider {

    /** {@code local}, {@code local[N]}, {@code local[*]}, and either with a number of task retries, {@code [N,F]}. */
    private static final Pattern LOCAL = Pattern.compile("local(\\[(\\*|[1-9][0-9]*)(,[1-9][0-9]*)?])?");
    private static final Pattern CLUSTER = Pattern.compile("(spark|k8s|mesos)://.+|yarn|local-cluster\\[.*]");

    @Override
    public String name() {
        return "spark";
    }

    @Override
    public PrepareExecutor open(String master, String option) {
        if (master == null || !LOCAL.matcher(master).matches()) {
            if (master != null && CLUSTER.matcher(master).matches()) {
                throw new ConfigException(option + " " + master + ": a cluster master; submit the job jar with "
                        + "spark-submit instead (docs/data.md, \"Preparing on Apache Spark\"); " + option
                        + " takes local, local[N] or local[*]");
            }
            throw new ConfigException(option + ": '" + master + "' is not a local Spark master URL (local, local[N], "
                    + "local[*]); a cluster takes spark-submit (docs/data.md)");
        }
        SparkConf conf = localConf(master);
        try {
            return new SparkPrepareExecutor(new JavaSparkContext(conf), true);
        } catch (RuntimeException | LinkageError e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ConfigException(option + " " + master + ": Spark did not start: "
                    + message.lines().findFirst().orElse(message), e);
        }
    }

    /**
     * The configuration of a local-mode run: no web UI, no console progress bar, the driver on the loopback address.
     * {@code spark.*} system properties (e.g. {@code -Dspark.local.dir=...} in {@code ENCODER4J_JAVA_OPTS}) win.
     */
    static SparkConf localConf(String master) {
        return new SparkConf()
                .setMaster(master)
                .setAppName("encoder4j prepare")
                .setIfMissing("spark.ui.enabled", "false")
                .setIfMissing("spark.ui.showConsoleProgress", "false")
                .setIfMissing("spark.driver.host", "127.0.0.1")
                .setIfMissing("spark.driver.bindAddress", "127.0.0.1");
    }
}
