package io.encoder4j.training.finetune;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.tasks.ClassificationDataConfig;
import io.encoder4j.datasets.tasks.ClassificationDataset;
import io.encoder4j.datasets.tasks.ClassificationExample;
import io.encoder4j.datasets.tasks.ClassificationReader;
import io.encoder4j.datasets.tasks.LabelMap;
import io.encoder4j.datasets.tasks.qa.QaFeatures;
import io.encoder4j.datasets.tasks.qa.QaPrediction;
import io.encoder4j.datasets.tasks.qa.QaWindowing;
import io.encoder4j.datasets.tasks.qa.SquadExample;
import io.encoder4j.datasets.tasks.qa.SquadReader;
import io.encoder4j.datasets.tasks.tagging.TaggedExample;
import io.encoder4j.datasets.tasks.tagging.TaggedReader;
import io.encoder4j.datasets.tasks.tagging.TokenClassificationFeatures;
import io.encoder4j.datasets.tokenizer.TextTokenizer;
import io.encoder4j.models.HeadConfig;
import io.encoder4j.models.ModelDirectory;
import io.encoder4j.models.QuestionAnsweringModel;
import io.encoder4j.models.SequenceClassificationModel;
import io.encoder4j.models.TaskModel;
import io.encoder4j.models.TokenClassificationModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code encoder4j predict <model-dir> <input>}: one JSON line per input row. Classification reads TSV, CSV or JSONL
 * (labels not needed) and writes {@code {"label": ..., "probabilities": {...}}} (multi-label: {@code "labels"}, the
 * names whose probability exceeds 0.5; regression: {@code {"value": ...}}). Question answering reads a SQuAD JSON
 * file or JSONL rows {@code {"id", "question", "context"}} and writes {@code {"id", "answer", "start", "score"}}
 * ({@code start}: the answer's first character in the context). Token classification reads CoNLL or JSONL
 * sentences and writes {@code {"tokens": [...], "tags": [...]}}.
 *
 * @param textColumn classification: the text column (default {@code text})
 * @param textPairColumn classification: the second text of a pair task, or null
 * @param columns classification: the column names of a header-less TSV/CSV, or null
 * @param maxLength tokens per row (classification) or window (QA); null for the model's maximum, at most 512
 *     (classification) or 384 (QA)
 */
public record FinetunePrediction(String textColumn, String textPairColumn, List<String> columns, Integer maxLength,
        int batchSize) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Predicts every row of {@code input} with the model in {@code modelPath}; returns the JSON lines. */
    public List<String> predict(String modelPath, Path input) throws IOException {
        Path dir = FinetuneJob.resolveModelDirectory("model", modelPath);
        if (!Files.isRegularFile(input)) {
            throw new ConfigException(input + ": input file does not exist");
        }
        try (NDManager manager = NDManager.newBaseManager();
                TextTokenizer tokenizer = TextTokenizer.load(dir.resolve(ModelDirectory.TOKENIZER_FILE))) {
            TaskModel model = ModelDirectory.load(dir, manager);
            Integer longest = longest(model);
            if (maxLength != null && longest != null && maxLength > longest) {
                throw new ConfigException("--max-length: " + maxLength + " tokens is more than the model's " + longest);
            }
            int length = maxLength != null ? maxLength : longest != null ? Math.min(longest, 512) : 512;
            if (model instanceof SequenceClassificationModel classifier) {
                return classify(classifier, dir, input, tokenizer, manager, length);
            }
            if (model instanceof QuestionAnsweringModel qa) {
                QuestionAnsweringTask.requireFrameSeparator(qa, tokenizer.eosId(), dir);
                return answer(qa, input, tokenizer, manager, maxLength != null ? maxLength
                        : longest != null ? Math.min(longest, 384) : 384);
            }
            if (model instanceof TokenClassificationModel tagger) {
                return tag(tagger, dir, input, tokenizer, manager, length);
            }
            throw new ConfigException(dir.resolve(ModelDirectory.CONFIG_FILE) + ": head type '" + model.head().type()
                    + "' has no predict (sequence_classification, question_answering and token_classification have)");
        }
    }

    /** The most tokens the model has positions for, or null when unbounded (rotary positions). */
    static Integer longest(TaskModel model) {
        Integer positions = model.config().maxPositionEmbeddings();
        return positions == null ? null : positions - model.config().padTokenId() - 1;
    }

    private List<String> classify(SequenceClassificationModel model, Path dir, Path input, TextTokenizer tokenizer,
            NDManager manager, int length) {
        ClassificationDataConfig config = new ClassificationDataConfig(input.toString(), null, null, null, columns,
                textColumn, textPairColumn, null, null, length, false);
        List<ClassificationExample> rows = ClassificationReader.read(input, config, false, BadRows.strict());
        String problem = model.head().problemType();
        List<String> names = FinetuneEvaluation.savedLabels(dir, problem);
        // Labels, when the input has them, are not read: rows are encoded as unlabelled.
        List<ClassificationExample> unlabelled = rows.stream()
                .map(e -> new ClassificationExample(e.text(), e.textPair(), null, e.source())).toList();
        ClassificationDataset ds = ClassificationDataset.encode(unlabelled, LabelMap.of(List.of("_")), tokenizer,
                config.maxLength());
        float[][] logits = ClassificationTask.predict(model, manager, ds, batchSize, 0);
        List<String> out = new ArrayList<>(logits.length);
        for (float[] x : logits) {
            ObjectNode row = JSON.createObjectNode();
            switch (problem) {
                case HeadConfig.REGRESSION -> row.put("value", x[0]);
                case HeadConfig.MULTI_LABEL -> {
                    ObjectNode p = JSON.createObjectNode();
                    var labels = row.putArray("labels");
                    for (int j = 0; j < x.length; j++) {
                        double q = 1 / (1 + Math.exp(-x[j]));
                        p.put(names.get(j), q);
                        if (q > 0.5) {
                            labels.add(names.get(j));
                        }
                    }
                    row.set("probabilities", p);
                }
                default -> {
                    double max = x[ClassificationTask.argmax(x)];
                    double sum = 0;
                    for (float v : x) {
                        sum += Math.exp(v - max);
                    }
                    row.put("label", names.get(ClassificationTask.argmax(x)));
                    ObjectNode p = JSON.createObjectNode();
                    for (int j = 0; j < x.length; j++) {
                        p.put(names.get(j), Math.exp(x[j] - max) / sum);
                    }
                    row.set("probabilities", p);
                }
            }
            out.add(row.toString());
        }
        return out;
    }

    /**
     * Token classification: CoNLL (tags, when present, not read) or JSONL ({@code tokens}, or the
     * {@code textColumn} field); {@code {"tokens": [...], "tags": [...]}} per sentence. Words cut off by the
     * length limit are tagged {@code O}.
     */
    private List<String> tag(TokenClassificationModel model, Path dir, Path input, TextTokenizer tokenizer,
            NDManager manager, int length) {
        List<TaggedExample> rows = TaggedReader.read(input, textColumn == null ? "tokens" : textColumn, "tags",
                false).stream().map(e -> new TaggedExample(e.words(), null, e.source())).toList();
        LabelMap labels = LabelMap.of(FinetuneEvaluation.savedTags(dir));
        TokenClassificationFeatures features = TokenClassificationFeatures.encode(rows, labels, tokenizer, length);
        int[][] tags = TokenClassificationTask.predict(model, manager, features, batchSize, 0);
        List<String> out = new ArrayList<>(tags.length);
        for (int r = 0; r < tags.length; r++) {
            ObjectNode row = JSON.createObjectNode();
            var tokens = row.putArray("tokens");
            rows.get(r).words().forEach(tokens::add);
            var names = row.putArray("tags");
            TokenClassificationTask.names(tags[r], labels).forEach(names::add);
            out.add(row.toString());
        }
        return out;
    }

    private List<String> answer(QuestionAnsweringModel model, Path input, TextTokenizer tokenizer, NDManager manager,
            int length) throws IOException {
        List<SquadExample> examples = input.toString().endsWith(".jsonl") ? readJsonl(input)
                : SquadReader.read(input);
        QaWindowing d = QaWindowing.defaults();
        // run_qa's defaults (384, stride 128, question 64) scaled to a shorter model.
        QaWindowing windowing = length == d.maxLength() ? d : new QaWindowing(length,
                Math.max(1, d.docStride() * length / d.maxLength()),
                Math.max(1, d.maxQueryLength() * length / d.maxLength()));
        QaFeatures features = QaFeatures.build(examples, tokenizer, windowing);
        List<QaPrediction> predictions = QuestionAnsweringTask.predict(model, manager, features, batchSize);
        List<String> out = new ArrayList<>(predictions.size());
        for (QaPrediction p : predictions) {
            ObjectNode row = JSON.createObjectNode();
            row.put("id", p.id());
            row.put("answer", p.text());
            row.put("start", p.start());
            row.put("score", p.score());
            out.add(row.toString());
        }
        return out;
    }

    /** JSONL questions: {@code {"id", "question", "context"}} per line (id defaults to the line number). */
    static List<SquadExample> readJsonl(Path file) throws IOException {
        List<SquadExample> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode row;
                try {
                    row = JSON.readTree(line);
                } catch (IOException e) {
                    throw new ConfigException(file + ": line " + n + ": malformed JSON: " + e.getMessage()
                            .lines().findFirst().orElse(""));
                }
                String question = row.path("question").asText(null);
                String context = row.path("context").asText(null);
                if (question == null || context == null) {
                    throw new ConfigException(file + ": line " + n + ": needs 'question' and 'context'");
                }
                out.add(new SquadExample(row.path("id").asText(Integer.toString(n)), "", question.stripLeading(),
                        context, List.of(), true, file + ": line " + n));
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException(file + ": no questions");
        }
        return out;
    }
}
