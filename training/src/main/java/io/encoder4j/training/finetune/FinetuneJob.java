package io.encoder4j.training.finetune;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.datasets.tasks.ClassificationDataConfig;
import io.encoder4j.datasets.tasks.ClassificationDataset;
import io.encoder4j.datasets.tasks.ClassificationExample;
import io.encoder4j.datasets.tasks.ClassificationReader;
import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.datasets.tasks.qa.QaFeatures;
import io.encoder4j.datasets.tasks.qa.SquadExample;
import io.encoder4j.datasets.tasks.qa.SquadReader;
import io.encoder4j.datasets.tasks.qa.SquadSplit;
import io.encoder4j.datasets.tasks.tagging.TokenClassificationFeatures;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.ModelConfig;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.QuestionAnsweringModel;
import io.encoder4j.models.SequenceClassificationModel;
import io.encoder4j.models.TaskModel;
import io.encoder4j.models.TokenClassificationModel;
import io.encoder4j.training.loop.DeviceSelection;
import io.encoder4j.training.loop.PrecisionSupport;
import io.encoder4j.training.loop.RunContext;
import io.encoder4j.training.loop.Trainer;
import io.encoder4j.training.loop.TrainingConfig;
import io.encoder4j.training.loop.TrainingResult;
import io.encoder4j.training.loop.TrainingTask;
import io.encoder4j.training.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code encoder4j finetune job.yaml}: a classification, extractive-QA or token-classification head trained on top of a pretrained
 * encoder (or from scratch) through the {@link Trainer}, in a run directory like pretraining's: {@code config.yaml},
 * {@code metrics.jsonl}, {@code tb/}, {@code checkpoints/}, {@code model/} (with {@code labels.json} for
 * classification and tagging), {@code loss.png}, the best metric's curve ({@code accuracy.png}, {@code f1.png}, ...),
 * {@code summary.json}. {@link #resume} continues a run from its latest checkpoint.
 */
public final class FinetuneJob {

    /** The job kind recorded in checkpoints. */
    public static final String KIND = "finetune";
    private static final String TRAIN_ROWS = "train_rows";
    private static final Logger LOG = LoggerFactory.getLogger(FinetuneJob.class);

    private FinetuneJob() {}

    public static TrainingResult run(Path file, List<String> overrides) throws IOException {
        FinetuneJobConfig job = ConfigLoader.load(file, FinetuneJobConfig.class, overrides);
        try {
            return run(job);
        } catch (ConfigException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    public static TrainingResult run(FinetuneJobConfig job) throws IOException {
        Device device = DeviceSelection.resolveSingle("training.device", job.training().device(), "fine-tuning");
        // The inputs are checked before the run directory is claimed: a missing file leaves nothing behind.
        checkInputs(job);
        Path path = Path.of(job.run().outputDir(), job.run().name());
        boolean existed = Files.exists(path);
        try (RunDirectory runDir = RunDirectory.claim(job.run())) {
            LOG.info("Run directory {}", runDir.path());
            try {
                return train(job, device, runDir, null);
            } catch (ConfigException e) {
                // Bad data found before the first checkpoint: the directory this run created holds nothing worth
                // keeping, and leaving it would make the corrected job refuse to start.
                if (!existed && !Files.exists(runDir.resolve(RunDirectory.CHECKPOINTS))) {
                    FileTrees.deleteRecursively(runDir.path());
                }
                throw e;
            }
        }
    }

    /** Continues the run in {@code runDir} from {@code checkpoint}, with the saved config and {@code overrides}. */
    public static TrainingResult resume(RunDirectory runDir, Path checkpoint, List<String> overrides)
            throws IOException {
        for (String o : overrides) {
            if (o.startsWith("run.") || o.startsWith("model.") || o.startsWith("data.") || o.startsWith("task")
                    || o.startsWith("head.")) {
                throw new ConfigException("override '" + o + "': only the training section can change when "
                        + "resuming");
            }
        }
        FinetuneJobConfig job = ConfigLoader.load(checkpoint.resolve(Trainer.CONFIG), FinetuneJobConfig.class,
                overrides);
        Device device = DeviceSelection.resolveSingle("training.device", job.training().device(), "fine-tuning");
        return train(job, device, runDir, checkpoint);
    }

    /**
     * The model directory a path names: a model directory ({@code model.json}), or a run directory or checkpoint
     * holding one in {@code model/}. The one place that turns {@code model.pretrained} (and the model argument of
     * {@code evaluate} and {@code predict}) into a directory {@link #loadPretrained} reads.
     */
    public static Path resolveModelDirectory(String key, String path) {
        Path dir = Path.of(path);
        if (Files.isRegularFile(dir.resolve(ModelDirectory.CONFIG_FILE))) {
            return dir;
        }
        if (Files.isRegularFile(dir.resolve(RunDirectory.MODEL).resolve(ModelDirectory.CONFIG_FILE))) {
            return dir.resolve(RunDirectory.MODEL);
        }
        throw new ConfigException(key + ": " + path + (Files.exists(dir) ? " is not a model directory (no "
                + ModelDirectory.CONFIG_FILE + " in it or in its model/)" : " does not exist"));
    }

    /** The encoder saved in {@code dir}: what {@code model.pretrained} starts from. */
    static EncoderConfig pretrainedEncoder(Path dir) {
        return ModelDirectory.readConfig(dir).encoder();
    }

    /** A model with {@code dir}'s encoder weights (loaded by name) and a new {@code head}. */
    static TaskModel loadPretrained(Path dir, EncoderConfig encoder, HeadConfig head, NDManager manager)
            throws IOException {
        return ModelDirectory.fromPretrained(dir, encoder, head, manager);
    }

    private static void checkInputs(FinetuneJobConfig job) {
        if (job.model().pretrained() != null) {
            resolveModelDirectory("model.pretrained", job.model().pretrained());
        } else {
            requireFile("model.tokenizer", tokenizerOf(job));
        }
        requireFile("data.train", job.data().train());
        if (job.data().validation() != null) {
            requireFile("data.validation", job.data().validation());
        }
    }

    private static String tokenizerOf(FinetuneJobConfig job) {
        String t = job.model().tokenizer();
        if (t == null) {
            throw new ConfigException("model.tokenizer: missing: a model from scratch needs a tokenizer.json "
                    + "(or give model.pretrained)");
        }
        return t;
    }

    static Path requireFile(String key, String file) {
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) {
            throw new ConfigException(key + ": " + file + " does not exist");
        }
        return p;
    }

    private static TrainingResult train(FinetuneJobConfig job, Device device, RunDirectory runDir, Path checkpoint)
            throws IOException {
        Path pretrained = checkpoint != null ? checkpoint.resolve(Trainer.MODEL)
                : job.model().pretrained() == null ? null : resolveModelDirectory("model.pretrained",
                        job.model().pretrained());
        Path tokenizerJson = pretrained != null ? pretrained.resolve(ModelDirectory.TOKENIZER_FILE)
                : Path.of(tokenizerOf(job));
        String yaml = ConfigLoader.toYaml(job);
        TrainingConfig training = job.training();
        Engine.getInstance().setRandomSeed(job.run().seed().intValue());
        int stepRows = training.batchSize() * training.gradientAccumulationSteps();
        try (NDManager manager = NDManager.newBaseManager(device);
                TextTokenizer tokenizer = TextTokenizer.load(tokenizerJson)) {
            TrainingTask<?> task;
            long trainRows;
            int maxLength = job.task().equals(FinetuneJobConfig.CLASSIFICATION)
                    ? job.data().classification().maxLength()
                    : job.task().equals(FinetuneJobConfig.TOKEN_CLASSIFICATION) ? job.data().taggingMaxLength()
                    : job.data().windowing().maxLength();
            EncoderConfig encoder = encoderOf(job, pretrained, tokenizer, maxLength);
            PrecisionSupport.requireSupported(job.training(), encoder);
            if (job.task().equals(FinetuneJobConfig.CLASSIFICATION)) {
                ClassificationDataConfig data = job.data().classification();
                ClassificationSplit split = ClassificationSplit.of(job);
                List<ClassificationExample> trainExamples = split.train();
                List<ClassificationExample> validationExamples = split.validation();
                ClassificationTargets targets = ClassificationTargets.of(job.problemType(), split.labels(),
                        job.data().labelSeparator(), trainExamples, validationExamples);
                ClassificationDataset train = ClassificationDataset.encode(trainExamples, targets.raw(), tokenizer,
                        maxLength);
                ClassificationDataset validation = ClassificationDataset.encode(validationExamples, targets.raw(),
                        tokenizer, maxLength);
                HeadConfig head = new HeadConfig(HeadConfig.SEQUENCE_CLASSIFICATION, targets.numLabels(),
                        job.problemType(), job.problemType().equals(HeadConfig.REGRESSION) ? null
                                : targets.labels().names(), job.head().classifierDropout(), null);
                if (checkpoint == null && pretrained != null) {
                    checkPretrainedLabels(pretrained, targets.labels(), job.problemType());
                }
                SequenceClassificationModel model = (SequenceClassificationModel) buildModel(checkpoint, pretrained,
                        encoder, head, manager, SequenceClassificationModel.class);
                LOG.info("Data: {} training rows, {} validation rows, labels {} ({}; {} / {} rows truncated to {} "
                                + "tokens)", train.size(), validation.size(), targets.labels().names(),
                        job.problemType(), train.truncatedCount(), validation.truncatedCount(), maxLength);
                trainRows = train.size();
                task = new ClassificationTask(model, manager, train, validation, targets, training.batchSize(),
                        training.gradientAccumulationSteps(), job.run().seed(), training.evalBatches(),
                        tokenizerJson);
            } else if (job.task().equals(FinetuneJobConfig.TOKEN_CLASSIFICATION)) {
                TaggedSplit split = TaggedSplit.of(job);
                TokenClassificationFeatures train = TokenClassificationFeatures.encode(split.train(), split.labels(),
                        tokenizer, maxLength);
                TokenClassificationFeatures validation = TokenClassificationFeatures.encode(split.validation(),
                        split.labels(), tokenizer, maxLength);
                HeadConfig head = new HeadConfig(HeadConfig.TOKEN_CLASSIFICATION, split.labels().size(), null,
                        split.labels().names(), job.head().classifierDropout(), null);
                TokenClassificationModel model = (TokenClassificationModel) buildModel(checkpoint, pretrained,
                        encoder, head, manager, TokenClassificationModel.class);
                LOG.info("Data: {} training sentences, {} validation sentences, tags {} ({} / {} sentences truncated "
                                + "to {} tokens)", train.size(), validation.size(), split.labels().names(),
                        train.truncatedCount(), validation.truncatedCount(), maxLength);
                trainRows = train.size();
                task = new TokenClassificationTask(model, manager, train, split.validation(), validation,
                        split.labels(), training.batchSize(), training.gradientAccumulationSteps(),
                        job.run().seed(), training.evalBatches(), tokenizerJson);
            } else {
                String qaHead = qaHeadOf(job, pretrained);
                if (HeadConfig.QA_BIGBIRD.equals(qaHead) && encoder.typeVocabSize() < 2) {
                    throw new ConfigException("head.qa_head: bigbird gives the context token type 1 and needs an "
                            + "encoder with type_vocab_size 2 or more (a model imported from BigBird has them); this "
                            + "one has " + encoder.typeVocabSize());
                }
                List<SquadExample> all = SquadReader.read(Path.of(job.data().train()));
                SquadSplit split = job.data().validation() != null
                        ? new SquadSplit(all, SquadReader.read(Path.of(job.data().validation())))
                        : SquadSplit.byArticle(all, job.data().validationFractionOrDefault(), job.run().seed());
                QaFeatures train = QaFeatures.build(split.train(), tokenizer, job.data().windowing());
                QaFeatures validation = QaFeatures.build(split.validation(), tokenizer, job.data().windowing());
                // The question ends at the tokenizer's </s>, which frames the windows (QaFeatures).
                HeadConfig head = new HeadConfig(HeadConfig.QUESTION_ANSWERING, 2, null, null, null,
                        tokenizer.eosId(), null, qaHead);
                QuestionAnsweringModel model = (QuestionAnsweringModel) buildModel(checkpoint, pretrained, encoder,
                        head, manager, QuestionAnsweringModel.class);
                LOG.info("Data: {} training questions ({} windows), {} validation questions ({} windows), split by "
                                + "article", split.train().size(), train.size(), split.validation().size(),
                        validation.size());
                trainRows = train.size();
                task = new QuestionAnsweringTask(model, manager, train, validation, training.batchSize(),
                        training.gradientAccumulationSteps(), job.run().seed(), tokenizerJson);
            }
            if (trainRows < stepRows) {
                throw new ConfigException("training.batch_size: " + training.batchSize() + " x "
                        + "gradient_accumulation_steps " + training.gradientAccumulationSteps() + " = " + stepRows
                        + " rows per step is more than the " + trainRows + " training rows");
            }
            if (checkpoint != null) {
                String saved = Trainer.readState(checkpoint).jobState().get(TRAIN_ROWS);
                if (!Long.toString(trainRows).equals(saved)) {
                    throw new ConfigException("data.train: " + trainRows + " training rows now, " + saved
                            + " when the checkpoint " + checkpoint + " was written: the data changed");
                }
            }
            writeAtomically(runDir.resolve(RunDirectory.CONFIG), yaml);
            RunContext context = new RunContext(runDir, KIND, job.run().seed(), yaml,
                    Map.of(TRAIN_ROWS, Long.toString(trainRows)), result -> {
                        Map<String, Object> extras = new LinkedHashMap<>();
                        extras.put("task", job.task());
                        extras.put("pretrained", job.model().pretrained() == null ? "none"
                                : job.model().pretrained());
                        return extras;
                    });
            return trainer(task, training, context, manager, checkpoint);
        }
    }

    private static <B extends io.encoder4j.training.loop.MicroBatch> TrainingResult trainer(TrainingTask<B> task,
            TrainingConfig training, RunContext context, NDManager manager, Path checkpoint) throws IOException {
        Trainer<B> trainer = new Trainer<>(task, training, context, manager);
        return checkpoint == null ? trainer.train() : trainer.resume(checkpoint);
    }

    /**
     * The question-answering head style: {@code head.qa_head} when written, else the pretrained model's own when it is
     * a question-answering model (a model imported from BigBirdForQuestionAnswering keeps BigBird's head), else
     * {@code linear}.
     */
    private static String qaHeadOf(FinetuneJobConfig job, Path pretrained) {
        if (job.head().qaHead() != null) {
            return job.head().qaHead();
        }
        if (pretrained != null) {
            HeadConfig saved = ModelDirectory.readConfig(pretrained).head();
            if (saved.type().equals(HeadConfig.QUESTION_ANSWERING)) {
                return saved.qaHead();
            }
        }
        return HeadConfig.QA_LINEAR;
    }

    /** The encoder of the job: the pretrained one with the written keys applied, or the written one resolved. */
    private static EncoderConfig encoderOf(FinetuneJobConfig job, Path pretrained, TextTokenizer tokenizer,
            int maxLength) {
        FinetuneModelConfig written = job.model();
        EncoderConfig encoder;
        try {
            if (pretrained != null) {
                encoder = written.encoderFor(pretrainedEncoder(pretrained));
            } else {
                encoder = written.encoderFor(null).resolve(tokenizer.vocabSize(), maxLength);
            }
            encoder.validateAttention(maxLength);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("model." + e.getMessage(), e);
        }
        Integer positions = encoder.maxPositionEmbeddings();
        if (positions != null && maxLength > positions - encoder.padTokenId() - 1) {
            throw new ConfigException("data.max_length: " + maxLength + " tokens is more than the model's "
                    + (positions - encoder.padTokenId() - 1) + " (its max_position_embeddings " + positions + ")");
        }
        return encoder;
    }

    private static TaskModel buildModel(Path checkpoint, Path pretrained, EncoderConfig encoder, HeadConfig head,
            NDManager manager, Class<? extends TaskModel> type) throws IOException {
        if (checkpoint != null) {
            return ModelDirectory.load(checkpoint.resolve(Trainer.MODEL), manager, type);
        }
        if (pretrained != null) {
            return loadPretrained(pretrained, encoder, head, manager);
        }
        return TaskModel.create(encoder, head, manager);
    }

    /**
     * A classifier fine-tuned again must keep its label set: its {@code labels.json} names the classes its encoder
     * learned to separate, and a different set would silently reinterpret them.
     */
    private static void checkPretrainedLabels(Path pretrained, LabelMap labels, String problemType) {
        Path file = pretrained.resolve(LabelMap.FILE_NAME);
        ModelConfig saved = ModelDirectory.readConfig(pretrained);
        if (!Files.isRegularFile(file) || !HeadConfig.SEQUENCE_CLASSIFICATION.equals(saved.head().type())
                || problemType.equals(HeadConfig.REGRESSION)) {
            return;
        }
        LabelMap savedLabels = LabelMap.read(file);
        if (!savedLabels.names().equals(labels.names())) {
            throw new ConfigException("model.pretrained: " + file + " has labels " + savedLabels.names()
                    + " but the training data has " + labels.names() + " (fine-tune on the same label set, or set "
                    + "data.labels to " + savedLabels.names() + ")");
        }
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
