package io.encoder4j.training.loop;

import io.encoder4j.training.run.RunDirectory;
import java.util.Map;
import java.util.function.Function;

/**
 * What the {@link Trainer} needs to know about the job around it.
 *
 * @param job the job kind ({@code pretrain}, later {@code finetune}), recorded in checkpoints for
 *     {@code encoder4j resume}
 * @param seed the run's seed: data order, masking and the per-step re-seeding of the engine's generator derive
 *     from it
 * @param configYaml the resolved job config, saved in every checkpoint (and what {@code resume} rebuilds the job
 *     from)
 * @param jobState facts the job checks again on resume, such as the prepared data's fingerprint
 * @param summaryExtras fields the job adds to {@code summary.json}, from the result
 */
public record RunContext(
        RunDirectory dir,
        String job,
        long seed,
        String configYaml,
        Map<String, String> jobState,
        Function<TrainingResult, Map<String, Object>> summaryExtras) {

    public RunContext {
        jobState = jobState == null ? Map.of() : Map.copyOf(jobState);
        summaryExtras = summaryExtras == null ? r -> Map.of() : summaryExtras;
    }
}
