package io.encoder4j.training.pretrain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import io.encoder4j.training.run.LossPlot;
import io.encoder4j.training.run.MetricsLog;
import io.encoder4j.training.run.RunDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code encoder4j pretrain job.yaml}: prepares the data (or finds it in the cache), builds the model, trains it with
 * masked-LM, and writes the run directory: {@code config.yaml}, {@code metrics.jsonl}, {@code model/},
 * {@code loss.png}, {@code summary.json}.
 */
public final class PretrainJob {

    private static final Logger LOG = LoggerFactory.getLogger(PretrainJob.class);

    private PretrainJob() {}

    /** Loads, validates and runs the job in {@code file} with {@code overrides} applied. */
    public static MaskedLmPretrainer.Result run(Path file, List<String> overrides) throws IOException {
        PretrainJobConfig job = ConfigLoader.load(file, PretrainJobConfig.class, overrides);
        try {
            return run(job);
        } catch (ConfigException e) {
            // Problems found while running (a missing corpus, an existing run directory) name their key;
            // the job file completes the address.
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    public static MaskedLmPretrainer.Result run(PretrainJobConfig job) throws IOException {
        RunDirectory runDir = RunDirectory.claim(job.run());
        LOG.info("Run directory {}", runDir.path());
        PreparedData data = PackedCorpusBuilder.prepare(job.data(), "data");

        EncoderConfig model;
        int[] specialIds;
        int maskId;
        int vocab;
        try (TextTokenizer tokenizer = TextTokenizer.load(data.tokenizerJson())) {
            vocab = tokenizer.vocabSize();
            specialIds = tokenizer.specialIds();
            maskId = tokenizer.maskId();
            if (tokenizer.padId() != job.model().padTokenId()) {
                throw new ConfigException("model.pad_token_id: " + job.model().padTokenId()
                        + " differs from the tokenizer's <pad> id " + tokenizer.padId());
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException("data.tokenizer: " + data.tokenizerJson() + " is not a RoBERTa-style "
                    + "tokenizer: " + e.getMessage(), e);
        }
        try {
            model = job.model().resolve(vocab, data.seqLength());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("model." + e.getMessage(), e);
        }
        PretrainJobConfig resolved = job.withModel(model);
        Files.writeString(runDir.resolve(RunDirectory.CONFIG), ConfigLoader.toYaml(resolved));

        Engine.getInstance().setRandomSeed(job.run().seed().intValue());
        TrainingConfig training = job.training();
        try (NDManager manager = NDManager.newBaseManager();
                ArrowShardReader trainRows = ArrowShardReader.open(data.trainDir());
                ArrowShardReader validationRows = ArrowShardReader.open(data.validationDir());
                MetricsLog metrics = new MetricsLog(runDir.resolve(RunDirectory.METRICS))) {
            if (trainRows.rowCount() < training.batchSize()) {
                throw new ConfigException("training.batch_size: " + training.batchSize() + " is larger than the "
                        + trainRows.rowCount() + " training blocks of the corpus");
            }
            BlockBatchSampler train = new BlockBatchSampler(trainRows, training.batchSize(), data.seqLength(),
                    job.run().seed(), true);
            int evalBatch = (int) Math.min(training.batchSize(), validationRows.rowCount());
            BlockBatchSampler validation = new BlockBatchSampler(validationRows, evalBatch, data.seqLength(),
                    job.run().seed(), false);
            MaskedLmModel mlm = MaskedLmModel.create(model, manager);
            long parameters = mlm.getParameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            LOG.info("Model: {} layers, hidden {}, {} heads, attention {}, vocabulary {}: {} parameters",
                    model.numLayers(), model.hiddenSize(), model.numHeads(),
                    model.attention().stream().map(AttentionConfig::type).toList(),
                    model.vocabSize(), String.format("%,d", parameters));
            LOG.info("Data: {} training blocks of {} tokens ({} batches per epoch), {} validation blocks; "
                            + "unigram baseline {} nats", data.trainBlocks(), data.seqLength(),
                    train.batchesPerEpoch(), data.validationBlocks(),
                    String.format("%.4f", data.unigramBaselineNats()));
            MlmMasker masker = new MlmMasker(job.masking(), maskId, model.vocabSize(), specialIds);
            MaskedLmPretrainer trainer = new MaskedLmPretrainer(mlm, manager, train, validation, masker, training,
                    job.run().seed(), metrics, data.unigramBaselineNats());
            MaskedLmPretrainer.Result result = trainer.train();

            ModelDirectory.save(mlm, data.tokenizerJson(), runDir.resolve(RunDirectory.MODEL));
            LossPlot.write(runDir.resolve(RunDirectory.LOSS_PLOT), "masked-LM loss: " + job.run().name(),
                    metrics.trainLoss(), metrics.evalLoss(), data.unigramBaselineNats(), "unigram baseline");
            writeSummary(runDir.resolve(RunDirectory.SUMMARY), result, data, parameters);
            LOG.info("Done in {}: eval loss {} vs unigram baseline {} ({} nats below); outputs in {}",
                    MaskedLmPretrainer.duration(result.seconds()),
                    String.format("%.4f", result.finalEvaluation().loss()),
                    String.format("%.4f", data.unigramBaselineNats()),
                    String.format("%.3f", data.unigramBaselineNats() - result.finalEvaluation().loss()),
                    runDir.path());
            return result;
        }
    }

    private static void writeSummary(Path file, MaskedLmPretrainer.Result result, PreparedData data,
            long parameters) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode s = json.createObjectNode();
        s.put("steps", result.steps());
        s.put("train_seconds", result.seconds());
        s.put("tokens_per_second", result.tokensPerSecond());
        s.put("parameters", parameters);
        s.put("eval_loss", result.finalEvaluation().loss());
        s.put("eval_accuracy", result.finalEvaluation().accuracy());
        s.put("eval_perplexity", result.finalEvaluation().perplexity());
        s.put("unigram_baseline", data.unigramBaselineNats());
        s.put("nats_below_unigram", data.unigramBaselineNats() - result.finalEvaluation().loss());
        s.put("data", data.directory().toString());
        Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(s) + "\n");
    }
}
