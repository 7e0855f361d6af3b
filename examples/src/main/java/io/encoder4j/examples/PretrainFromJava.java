package io.encoder4j.examples;

import io.encoder4j.training.loop.TrainingResult;
import io.encoder4j.training.pretrain.PretrainJob;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a pretraining job from Java code instead of {@code bin/encoder4j}: the same YAML file and overrides, and the
 * final evaluation returned as a value.
 *
 * <pre>
 * java ... io.encoder4j.examples.PretrainFromJava configs/quickstart.yaml run.name=from-java training.max_steps=50
 * </pre>
 */
public final class PretrainFromJava {

    private PretrainFromJava() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: PretrainFromJava JOB.yaml [key=value ...]");
            System.exit(2);
        }
        List<String> overrides = Arrays.asList(args).subList(1, args.length);
        TrainingResult result = PretrainJob.run(Path.of(args[0]), overrides);
        System.out.printf("eval loss %.4f, accuracy %.4f after %d steps (%.0f tokens/s)%n",
                result.finalMetric("loss"), result.finalMetric("accuracy"), result.steps(), result.tokensPerSecond());
    }
}
