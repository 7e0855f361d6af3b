package io.encoder4j.training.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.core.io.FileTrees;
import io.encoder4j.datasets.arrow.ArrowShardReader;
import io.encoder4j.datasets.corpus.Corpus;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.masking.MaskingConfig;
import io.encoder4j.datasets.masking.MlmMasker;
import io.encoder4j.datasets.prepare.DataPreparer;
import io.encoder4j.datasets.prepare.PrepareConfig;
import io.encoder4j.datasets.prepare.PrepareJobConfig;
import io.encoder4j.datasets.prepare.PreparedCorpus;
import io.encoder4j.datasets.prepare.PretrainingBatches;
import io.encoder4j.datasets.prepare.TokenBatch;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import io.encoder4j.training.pretrain.PretrainJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code encoder4j bench data}: how fast the data path is, and how that compares with how fast a model consumes
 * batches.
 *
 * <ol>
 *   <li>Preparation, cold: the prepare job with an empty cache (tokenizer training, tokenisation, packing), then
 *       warm (everything reused).</li>
 *   <li>Tokenisation: {@code TextTokenizer.encodeBatch} over the corpus text, tokens per second.</li>
 *   <li>Batch assembly: training batches read from the memory-mapped shards and masked, batches per second.</li>
 *   <li>Model consumption: tokens per second of the quickstart model, measured by a short pretraining run or read
 *       from a run's {@code summary.json}/{@code metrics.jsonl}; the ratio of the loader's rate to it.</li>
 * </ol>
 */
public final class DataBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param job the prepare job to time
     * @param batchSize rows per assembled batch
     * @param batches batches to assemble
     * @param modelJob the pretraining job whose model speed is compared (null to skip)
     * @param modelSteps training steps of the model measurement
     * @param modelMetrics a run's summary.json or metrics.jsonl to read the model's tokens/s from instead
     * @param out where data.md and data.json go
     */
    public record Settings(Path job, int batchSize, int batches, Path modelJob, int modelSteps, Path modelMetrics,
            Path out) {}

    private DataBenchmark() {}

    public static ObjectNode run(Settings s, PrintWriter console) throws IOException {
        PrepareJobConfig job = ConfigLoader.load(s.job(), PrepareJobConfig.class, List.of());
        Path cache = Files.createTempDirectory("encoder4j-bench-data");
        ObjectNode result = JSON.createObjectNode();
        result.put("job", s.job().toString());
        result.put("cores", Runtime.getRuntime().availableProcessors());
        try {
            PrepareConfig fresh = new PrepareConfig(job.data().corpus(), job.data().tokenizer(), job.data().packing(),
                    job.data().seqLength(), job.data().validationFraction(), job.data().wholeWordMasking(),
                    job.data().skipBadRows(), cache.toString(), job.data().rowsPerShard());
            Corpus corpus = Corpus.of("data.corpus", fresh.corpus());
            long bytes = 0;
            for (Path f : corpus.files()) {
                bytes += Files.size(f);
            }
            result.put("corpus_bytes", bytes);

            long t0 = System.nanoTime();
            PreparedCorpus prepared = DataPreparer.prepare(fresh, "data");
            double cold = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            DataPreparer.prepare(fresh, "data");
            double warm = (System.nanoTime() - t0) / 1e9;
            result.put("prepare_cold_seconds", cold);
            result.put("prepare_warm_seconds", warm);
            result.put("train_rows", prepared.trainRows());
            result.put("train_tokens", prepared.trainTokens());
            console.printf("prepare: %.1f MB in %.1f s cold (tokenizer training included), %.2f s warm%n",
                    bytes / 1e6, cold, warm);

            try (TextTokenizer tokenizer = TextTokenizer.load(prepared.tokenizerJson())) {
                measureTokenisation(corpus, tokenizer, result, console);
                measureBatches(prepared, tokenizer, s, result, console);
            }
        } finally {
            FileTrees.deleteRecursively(cache);
        }
        measureModel(s, result, console);
        write(s.out(), result, console);
        return result;
    }

    private static void measureTokenisation(Corpus corpus, TextTokenizer tokenizer, ObjectNode result,
            PrintWriter console) {
        List<String> docs = corpus.documents("data.corpus", new BadRows(true));
        // Warm-up on the first chunk (JIT, native thread pool), then time the whole text.
        tokenizer.encodeBatch(docs.subList(0, Math.min(256, docs.size())));
        long tokens = 0;
        long chars = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < docs.size(); i += 1024) {
            for (int[] ids : tokenizer.encodeBatch(docs.subList(i, Math.min(docs.size(), i + 1024)))) {
                tokens += ids.length;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        for (String d : docs) {
            chars += d.length();
        }
        result.put("tokenize_tokens", tokens);
        result.put("tokenize_seconds", seconds);
        result.put("tokenize_tokens_per_second", tokens / seconds);
        console.printf("tokenisation: %,d tokens (%.1f M characters) in %.2f s: %,.0f tokens/s%n", tokens,
                chars / 1e6, seconds, tokens / seconds);
    }

    private static void measureBatches(PreparedCorpus prepared, TextTokenizer tokenizer, Settings s,
            ObjectNode result, PrintWriter console) throws IOException {
        MlmMasker masker = prepared.masker(MaskingConfig.defaults(), tokenizer);
        try (ArrowShardReader rows = prepared.openTrain()) {
            PretrainingBatches batches = prepared.trainBatches(rows, s.batchSize(), 1, tokenizer.padId());
            long warm = Math.min(50, s.batches());
            for (long k = 0; k < warm; k++) {
                masker.mask(batches.batch(k).inputIds(), k);
            }
            long tokens = 0;
            long t0 = System.nanoTime();
            for (long k = 0; k < s.batches(); k++) {
                TokenBatch batch = batches.batch(warm + k);
                masker.mask(batch.inputIds(), k);
                tokens += batch.inputIds().length;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            result.put("batch_size", s.batchSize());
            result.put("seq_length", prepared.seqLength());
            result.put("batches_per_second", s.batches() / seconds);
            result.put("batch_tokens_per_second", tokens / seconds);
            console.printf("batch assembly (%s, %d x %d, masked): %,.0f batches/s, %,.0f tokens/s%n",
                    prepared.packing().yamlName(), s.batchSize(), prepared.seqLength(), s.batches() / seconds,
                    tokens / seconds);
        }
    }

    private static void measureModel(Settings s, ObjectNode result, PrintWriter console) throws IOException {
        double modelTokensPerSecond;
        String source;
        if (s.modelMetrics() != null) {
            modelTokensPerSecond = readTokensPerSecond(s.modelMetrics());
            source = s.modelMetrics().toString();
        } else if (s.modelJob() != null) {
            Path out = Files.createTempDirectory("encoder4j-bench-model");
            try {
                // Two logging intervals: the first absorbs start-up (JIT, native warm-up); the second is the rate.
                int steps = Math.max(2, s.modelSteps());
                PretrainJob.run(s.modelJob(), List.of("run.name=bench-data-model", "run.output_dir=" + out,
                        "run.overwrite=true", "training.max_steps=" + steps, "training.warmup_steps=1",
                        "training.log_every=" + (steps / 2), "training.eval_every=" + steps,
                        "training.eval_batches=1"));
                modelTokensPerSecond = lastTrainRate(out.resolve("bench-data-model").resolve("metrics.jsonl"));
                source = s.modelJob() + ", steps " + (steps / 2 + 1) + "-" + steps;
            } finally {
                FileTrees.deleteRecursively(out);
            }
        } else {
            return;
        }
        double loader = result.get("batch_tokens_per_second").asDouble();
        result.put("model_tokens_per_second", modelTokensPerSecond);
        result.put("model_source", source);
        result.put("loader_to_model_ratio", loader / modelTokensPerSecond);
        console.printf("model (%s): %,.0f tokens/s; the loader is %.0fx faster%n", source, modelTokensPerSecond,
                loader / modelTokensPerSecond);
    }

    private static double lastTrainRate(Path metrics) throws IOException {
        double rate = Double.NaN;
        for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
            JsonNode row = JSON.readTree(line);
            if (row.path("split").asText().equals("train") && row.has("tokens_per_second")) {
                rate = row.get("tokens_per_second").asDouble();
            }
        }
        if (Double.isNaN(rate)) {
            throw new IllegalStateException(metrics + " has no train rows with tokens_per_second");
        }
        return rate;
    }

    /** The tokens/s of a run: summary.json's {@code tokens_per_second}, or the mean of metrics.jsonl's train rows. */
    static double readTokensPerSecond(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("--model-metrics: " + file + " does not exist");
        }
        if (file.getFileName().toString().endsWith(".jsonl")) {
            List<Double> rates = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                JsonNode row = JSON.readTree(line);
                if (row.path("split").asText().equals("train") && row.has("tokens_per_second")) {
                    rates.add(row.get("tokens_per_second").asDouble());
                }
            }
            if (rates.isEmpty()) {
                throw new ConfigException("--model-metrics: " + file + " has no train rows with tokens_per_second");
            }
            return rates.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        }
        JsonNode summary = JSON.readTree(file.toFile());
        if (!summary.has("tokens_per_second")) {
            throw new ConfigException("--model-metrics: " + file + " has no tokens_per_second");
        }
        return summary.get("tokens_per_second").asDouble();
    }

    private static void write(Path out, ObjectNode result, PrintWriter console) throws IOException {
        Files.createDirectories(out);
        Files.writeString(out.resolve("data.json"), JSON.writeValueAsString(result));
        StringBuilder md = new StringBuilder("| measure | value |\n|---|---|\n");
        result.properties().forEach(e -> md.append("| ").append(e.getKey()).append(" | ")
                .append(e.getValue().isNumber() && !e.getValue().isIntegralNumber()
                        ? String.format("%,.2f", e.getValue().asDouble()) : e.getValue().asText())
                .append(" |\n"));
        Files.writeString(out.resolve("data.md"), md.toString());
        console.println(md);
        console.println("wrote " + out.resolve("data.md") + " and data.json");
        console.flush();
    }
}
