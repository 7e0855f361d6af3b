package io.encoder4j.training.finetune;

import ai.djl.ndarray.NDManager;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.tasks.ClassificationDataConfig;
import io.encoder4j.datasets.tasks.ClassificationDataset;
import io.encoder4j.datasets.tasks.ClassificationExample;
import io.encoder4j.datasets.tasks.ClassificationReader;
import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.datasets.tasks.qa.QaFeatures;
import io.encoder4j.datasets.tasks.qa.SquadExample;
import io.encoder4j.datasets.tasks.qa.SquadReader;
import io.encoder4j.datasets.tasks.qa.SquadSplit;
import io.encoder4j.datasets.tasks.tagging.TaggedExample;
import io.encoder4j.datasets.tasks.tagging.TokenClassificationFeatures;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.QuestionAnsweringModel;
import io.encoder4j.models.SequenceClassificationModel;
import io.encoder4j.models.TaskModel;
import io.encoder4j.models.TokenClassificationModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code encoder4j evaluate <model-dir> <job.yaml>}: the metrics of a fine-tuned model on a split of the job's data,
 * the same numbers the job's evaluations log: accuracy, macro-F1, MCC (classification), MSE (regression), token accuracy
 * and entity precision / recall / F1 (token classification), exact
 * match and F1 (QA, on the job's held-out articles unless the job names a validation file).
 */
public final class FinetuneEvaluation {

    public static final List<String> SPLITS = List.of("validation", "train");

    private FinetuneEvaluation() {}

    /** The metrics of the model in {@code modelPath} on {@code split} ({@code validation} or {@code train}). */
    public static Map<String, Object> evaluate(String modelPath, FinetuneJobConfig job, String split)
            throws IOException {
        if (!SPLITS.contains(split)) {
            throw new ConfigException("--split: unknown split '" + split + "'; one of " + String.join(", ", SPLITS));
        }
        Path dir = FinetuneJob.resolveModelDirectory("model", modelPath);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", dir.toString());
        out.put("task", job.task());
        out.put("split", split);
        int batch = job.training().batchSize();
        try (NDManager manager = NDManager.newBaseManager();
                TextTokenizer tokenizer = TextTokenizer.load(dir.resolve(ModelDirectory.TOKENIZER_FILE))) {
            TaskModel model = ModelDirectory.load(dir, manager);
            if (job.task().equals(FinetuneJobConfig.CLASSIFICATION)) {
                SequenceClassificationModel classifier = as(model, SequenceClassificationModel.class, dir);
                ClassificationDataConfig data = job.data().classification();
                ClassificationSplit rows = ClassificationSplit.of(job);
                List<ClassificationExample> examples = split.equals("train") ? rows.train() : rows.validation();
                String file = split.equals("train") || data.validation() == null ? data.train() : data.validation();
                String problem = classifier.head().problemType();
                ClassificationTargets targets = ClassificationTargets.of(problem, savedLabels(dir, problem),
                        job.data().labelSeparator(), examples, List.of());
                ClassificationDataset ds = ClassificationDataset.encode(examples, targets.raw(), tokenizer,
                        data.maxLength());
                out.put("file", file);
                out.putAll(ClassificationTask.metrics(problem,
                        ClassificationTask.predict(classifier, manager, ds, batch, 0), targets.targets(ds),
                        targets.width()));
            } else if (job.task().equals(FinetuneJobConfig.TOKEN_CLASSIFICATION)) {
                TokenClassificationModel tagger = as(model, TokenClassificationModel.class, dir);
                TaggedSplit rows = TaggedSplit.of(job);
                List<TaggedExample> examples = split.equals("train") ? rows.train() : rows.validation();
                LabelMap labels = LabelMap.of(savedTags(dir));
                TokenClassificationFeatures features = TokenClassificationFeatures.encode(examples, labels, tokenizer,
                        job.data().taggingMaxLength());
                out.put("file", split.equals("train") || job.data().validation() == null ? job.data().train()
                        : job.data().validation());
                out.putAll(TokenClassificationTask.metrics(examples,
                        TokenClassificationTask.predict(tagger, manager, features, batch, 0), labels));
            } else {
                QuestionAnsweringModel qa = as(model, QuestionAnsweringModel.class, dir);
                QuestionAnsweringTask.requireFrameSeparator(qa, tokenizer.eosId(), dir);
                List<SquadExample> examples = qaSplit(job, split);
                QaFeatures features = QaFeatures.build(examples, tokenizer, job.data().windowing());
                out.putAll(QuestionAnsweringTask.metrics(examples,
                        QuestionAnsweringTask.predict(qa, manager, features, batch)));
            }
        }
        return out;
    }

    /** The questions of a split, held out by article with the job's seed exactly as the job held them out. */
    static List<SquadExample> qaSplit(FinetuneJobConfig job, String split) {
        FinetuneJob.requireFile("data.train", job.data().train());
        List<SquadExample> all = SquadReader.read(Path.of(job.data().train()));
        if (job.data().validation() != null) {
            return split.equals("train") ? all : SquadReader.read(FinetuneJob.requireFile("data.validation",
                    job.data().validation()));
        }
        SquadSplit s = SquadSplit.byArticle(all, job.data().validationFractionOrDefault(), job.run().seed());
        return split.equals("train") ? s.train() : s.validation();
    }

    /** The label names saved with a classifier ({@code labels.json}, else the head's), null for regression. */
    static List<String> savedLabels(Path dir, String problemType) {
        if (problemType.equals(HeadConfig.REGRESSION)) {
            return null;
        }
        Path file = dir.resolve(LabelMap.FILE_NAME);
        if (Files.isRegularFile(file)) {
            return LabelMap.read(file).names();
        }
        List<String> head = ModelDirectory.readConfig(dir).head().labels();
        if (head == null) {
            throw new ConfigException(dir + ": no " + LabelMap.FILE_NAME + " and no head.labels: the label names "
                    + "of this classifier are unknown");
        }
        return head;
    }

    /** The tag names saved with a token classifier ({@code labels.json}, else the head's). */
    static List<String> savedTags(Path dir) {
        Path file = dir.resolve(LabelMap.FILE_NAME);
        if (Files.isRegularFile(file)) {
            return LabelMap.read(file).names();
        }
        List<String> head = ModelDirectory.readConfig(dir).head().labels();
        if (head == null) {
            throw new ConfigException(dir + ": no " + LabelMap.FILE_NAME + " and no head.labels: the tag names "
                    + "of this model are unknown");
        }
        return head;
    }

    static <T extends TaskModel> T as(TaskModel model, Class<T> type, Path dir) {
        if (!type.isInstance(model)) {
            throw new ConfigException(dir.resolve(ModelDirectory.CONFIG_FILE) + ": head type is '"
                    + model.head().type() + "', not the " + type.getSimpleName() + " this task needs");
        }
        return type.cast(model);
    }
}
