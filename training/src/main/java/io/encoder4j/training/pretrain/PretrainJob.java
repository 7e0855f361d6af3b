package io.encoder4j.training.pretrain;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.attention.AttentionConfig;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.masking.MlmMasker;
import io.encoder4j.datasets.pretraining.BlockBatchSampler;
import io.encoder4j.datasets.pretraining.PackedCorpusBuilder;
import io.encoder4j.datasets.pretraining.PreparedData;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import io.encoder4j.models.EncoderConfig;
import io.encoder4j.models.MaskedLmModel;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.training.loop.DeviceSelection;
import io.encoder4j.training.loop.PrecisionSupport;
import io.encoder4j.training.loop.RunContext;
import io.encoder4j.training.loop.Trainer;
import io.encoder4j.training.loop.TrainingConfig;
import io.encoder4j.training.loop.TrainingResult;
import io.encoder4j.training.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code encoder4j pretrain job.yaml}: prepares the data (or finds it in the cache), builds the model, trains it with
 * masked-LM through the {@link Trainer}, and writes the run directory: {@code config.yaml}, {@code metrics.jsonl},
 * {@code tb/}, {@code checkpoints/}, {@code model/}, {@code loss.png}, {@code summary.json}. {@link #resume}
 * continues a run from its latest checkpoint.
 */
public final class PretrainJob {

    /** The job kind recorded in checkpoints. */
    public static final String KIND = "pretrain";
    private static final String DATA_STATE = "data";
    private static final Logger LOG = LoggerFactory.getLogger(PretrainJob.class);

    private PretrainJob() {}

    /** Loads, validates and runs the job in {@code file} with {@code overrides} applied. */
    public static TrainingResult run(Path file, List<String> overrides) throws IOException {
        PretrainJobConfig job = ConfigLoader.load(file, PretrainJobConfig.class, overrides);
        try {
            return run(job);
        } catch (ConfigException e) {
            // Problems found while running (a missing corpus, an existing run directory) name their key;
            // the job file completes the address.
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    public static TrainingResult run(PretrainJobConfig job) throws IOException {
        // Before anything is written: a GPU that is not there must not leave a run directory behind.
        Device device = DeviceSelection.resolve("training.device", job.training().device());
        PrecisionSupport.requireSupported(job.training(), job.model());
        try (RunDirectory runDir = RunDirectory.claim(job.run())) {
            LOG.info("Run directory {}", runDir.path());
            return train(job, device, runDir, null);
        }
    }

    /**
     * Continues the run in {@code runDir} from {@code checkpoint}, with the config saved there and
     * {@code overrides} (such as a longer {@code training.max_steps}) applied.
     */
    public static TrainingResult resume(RunDirectory runDir, Path checkpoint, List<String> overrides)
            throws IOException {
        for (String o : overrides) {
            if (o.startsWith("run.")) {
                throw new ConfigException("override '" + o + "': the run section cannot change when resuming");
            }
        }
        PretrainJobConfig job = ConfigLoader.load(checkpoint.resolve(Trainer.CONFIG), PretrainJobConfig.class,
                overrides);
        PrecisionSupport.requireSupported(job.training(), job.model());
        return train(job, DeviceSelection.resolve("training.device", job.training().device()), runDir, checkpoint);
    }

    private static TrainingResult train(PretrainJobConfig job, Device device, RunDirectory runDir, Path checkpoint)
            throws IOException {
        PreparedData data = PackedCorpusBuilder.prepare(job.data(), "data");
        String dataId = data.directory().getFileName().toString();
        TokenizerFacts tokenizer = readTokenizer(data);
        EncoderConfig model = resolveModel(job, data, tokenizer);
        PretrainJobConfig resolved = job.withModel(model);
        String yaml = ConfigLoader.toYaml(resolved);
        if (checkpoint != null) {
            Map<String, String> saved = Trainer.readState(checkpoint).jobState();
            if (!dataId.equals(saved.get(DATA_STATE))) {
                throw new ConfigException("data: the prepared data (" + dataId + ") differs from the data the "
                        + "checkpoint " + checkpoint + " was trained on (" + saved.get(DATA_STATE) + "): the "
                        + "corpus, the tokenizer or the data settings changed since the run started");
            }
            checkSameModel(checkpoint, model);
        }
        writeAtomically(runDir.resolve(RunDirectory.CONFIG), yaml);

        TrainingConfig training = job.training();
        Engine.getInstance().setRandomSeed(job.run().seed().intValue());
        int stepRows = training.batchSize() * training.gradientAccumulationSteps();
        try (NDManager manager = NDManager.newBaseManager(device);
                ArrowShardReader trainRows = ArrowShardReader.open(data.trainDir());
                ArrowShardReader validationRows = ArrowShardReader.open(data.validationDir())) {
            if (trainRows.rowCount() < stepRows) {
                throw new ConfigException("training.batch_size: " + training.batchSize() + " x "
                        + "gradient_accumulation_steps " + training.gradientAccumulationSteps() + " = " + stepRows
                        + " blocks per step is more than the " + trainRows.rowCount()
                        + " training blocks of the corpus");
            }
            BlockBatchSampler train = new BlockBatchSampler(trainRows, stepRows, data.seqLength(), job.run().seed(),
                    true);
            int evalBatch = (int) Math.min(training.batchSize(), validationRows.rowCount());
            BlockBatchSampler validation = new BlockBatchSampler(validationRows, evalBatch, data.seqLength(),
                    job.run().seed(), false);
            MaskedLmModel mlm = checkpoint == null ? MaskedLmModel.create(model, manager)
                    : ModelDirectory.load(checkpoint.resolve(Trainer.MODEL), manager, MaskedLmModel.class);
            long parameters = mlm.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            LOG.info("Model: {} layers, hidden {}, {} heads, attention {}, vocabulary {}: {} parameters on {}",
                    model.numLayers(), model.hiddenSize(), model.numHeads(),
                    model.attention().stream().map(AttentionConfig::type).toList(), model.vocabSize(),
                    String.format("%,d", parameters), device);
            LOG.info("Data: {} training blocks of {} tokens ({} steps per epoch), {} validation blocks; "
                            + "unigram baseline {} nats", data.trainBlocks(), data.seqLength(),
                    train.batchesPerEpoch(), data.validationBlocks(),
                    String.format("%.4f", data.unigramBaselineNats()));
            MlmMasker masker = new MlmMasker(job.masking(), tokenizer.maskId(), model.vocabSize(),
                    tokenizer.specialIds());
            MaskedLmTask task = new MaskedLmTask(mlm, manager, train, training.gradientAccumulationSteps(),
                    validation, training.evalBatches(), masker, job.run().seed(), data.unigramBaselineNats(),
                    data.tokenizerJson());
            RunContext context = new RunContext(runDir, KIND, job.run().seed(), yaml, Map.of(DATA_STATE, dataId),
                    result -> {
                        Map<String, Object> extras = new LinkedHashMap<>();
                        extras.put("unigram_baseline", data.unigramBaselineNats());
                        extras.put("nats_below_unigram", data.unigramBaselineNats() - result.finalMetric("loss"));
                        extras.put("data", data.directory().toString());
                        return extras;
                    });
            Trainer<MaskedLmTask.Batch> trainer = new Trainer<>(task, training, context, manager);
            TrainingResult result = checkpoint == null ? trainer.train() : trainer.resume(checkpoint);
            LOG.info("Final eval loss {} vs unigram baseline {} ({} nats below)",
                    String.format("%.4f", result.finalMetric("loss")),
                    String.format("%.4f", data.unigramBaselineNats()),
                    String.format("%.3f", data.unigramBaselineNats() - result.finalMetric("loss")));
            return result;
        }
    }

    /** What the job needs from the tokenizer, read once. */
    private record TokenizerFacts(int vocabSize, int padId, int maskId, int[] specialIds) {}

    private static TokenizerFacts readTokenizer(PreparedData data) {
        try (TextTokenizer tokenizer = TextTokenizer.load(data.tokenizerJson())) {
            return new TokenizerFacts(tokenizer.vocabSize(), tokenizer.padId(), tokenizer.maskId(),
                    tokenizer.specialIds());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("data.tokenizer: " + data.tokenizerJson() + " is not a RoBERTa-style "
                    + "tokenizer: " + e.getMessage(), e);
        }
    }

    private static EncoderConfig resolveModel(PretrainJobConfig job, PreparedData data, TokenizerFacts tokenizer) {
        if (tokenizer.padId() != job.model().padTokenId()) {
            throw new ConfigException("model.pad_token_id: " + job.model().padTokenId()
                    + " differs from the tokenizer's <pad> id " + tokenizer.padId());
        }
        try {
            return job.model().resolve(tokenizer.vocabSize(), data.seqLength());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("model." + e.getMessage(), e);
        }
    }

    /** The checkpoint's {@code model.json} must describe the model of the run's config; names the first difference. */
    private static void checkSameModel(Path checkpoint, EncoderConfig model) {
        Path modelDir = checkpoint.resolve(Trainer.MODEL);
        EncoderConfig saved = ModelDirectory.readConfig(modelDir).encoder();
        if (!saved.equals(model)) {
            ObjectMapper json = new ObjectMapper();
            String difference = firstDifference(json.valueToTree(readTree(model)), json.valueToTree(readTree(saved)),
                    "model");
            throw new ConfigException(modelDir.resolve(ModelDirectory.CONFIG_FILE) + ": the checkpoint holds a "
                    + "different model than the run's config: " + difference);
        }
    }

    private static JsonNode readTree(EncoderConfig config) {
        try {
            return new ObjectMapper().readTree(ConfigLoader.toJson(config));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstDifference(JsonNode config, JsonNode checkpoint, String path) {
        if (config.isObject() && checkpoint.isObject()) {
            Iterator<String> names = config.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                JsonNode other = checkpoint.get(name);
                if (other == null || !other.equals(config.get(name))) {
                    return other == null ? path + "." + name + " is missing from the checkpoint"
                            : firstDifference(config.get(name), other, path + "." + name);
                }
            }
        }
        return path + " is " + config + " in the config but " + checkpoint + " in the checkpoint";
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temp, text);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
