package io.encoder4j.training.finetune;

import io.encoder4j.models.HeadConfig;
import io.encoder4j.training.loop.TrainingConfig;
import io.encoder4j.training.run.RunConfig;
import java.util.List;

/**
 * A fine-tuning job as written in YAML (docs/training.md, "Fine-tuning"): one record per section, validated when
 * loaded.
 *
 * <pre>{@code
 * task: classification            # or question_answering, token_classification
 * model: {pretrained: runs/quickstart/model}
 * head: {problem_type: single_label_classification, classifier_dropout: 0.1}   # question answering: {qa_head: bigbird}
 * data: {train: ..., validation: ..., columns: [label, text], max_length: 128}
 * training: {...}
 * }</pre>
 *
 * @param task {@code classification}, {@code question_answering} or {@code token_classification}
 */
public record FinetuneJobConfig(
        RunConfig run, String task, FinetuneModelConfig model, FinetuneHeadConfig head, FinetuneDataConfig data,
        TrainingConfig training) {

    public static final String CLASSIFICATION = "classification";
    public static final String QUESTION_ANSWERING = "question_answering";
    public static final String TOKEN_CLASSIFICATION = "token_classification";
    public static final List<String> TASKS = List.of(CLASSIFICATION, QUESTION_ANSWERING, TOKEN_CLASSIFICATION);

    public FinetuneJobConfig {
        run = run == null ? RunConfig.defaults() : run;
        task = task == null ? CLASSIFICATION : task;
        if (!TASKS.contains(task)) {
            throw new IllegalArgumentException("task: unknown task '" + task + "'; one of " + String.join(", ",
                    TASKS));
        }
        if (model == null) {
            throw new IllegalArgumentException("model: missing: give model.pretrained (a model directory) or an "
                    + "encoder config (e.g. include: models/roberta-tiny.yaml)");
        }
        head = head == null ? new FinetuneHeadConfig(null, null) : head;
        if (data == null) {
            throw new IllegalArgumentException("data: missing: at least data.train");
        }
        training = training == null ? TrainingConfig.defaults() : training;
        List<String> foreign = task.equals(CLASSIFICATION) ? data.qaOnlyKeysSet()
                : task.equals(TOKEN_CLASSIFICATION) ? data.taggingForeignKeysSet() : data.classificationOnlyKeysSet();
        if (!foreign.isEmpty()) {
            throw new IllegalArgumentException("data." + foreign.get(0) + " does not apply to task " + task);
        }
        if (!task.equals(CLASSIFICATION) && head.problemType() != null) {
            throw new IllegalArgumentException("head.problem_type does not apply to task " + task);
        }
        if (!task.equals(QUESTION_ANSWERING) && head.qaHead() != null) {
            throw new IllegalArgumentException("head.qa_head does not apply to task " + task);
        }
        if (task.equals(CLASSIFICATION)) {
            data.classification(); // its own checks, now
        } else if (task.equals(QUESTION_ANSWERING)) {
            data.windowing();
        }
    }

    /** The problem type of a classification job (single-label unless asked otherwise). */
    public String problemType() {
        return head.problemType() == null ? HeadConfig.SINGLE_LABEL : head.problemType();
    }
}
