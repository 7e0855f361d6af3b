package io.encoder4j.training.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.training.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The finetune, evaluate, predict and resume commands end to end through the CLI, from a tiny model pretrained here
 * (2 layers, width 32, 32-token blocks) on slices of the shared SST-2 and SQuAD files.
 */
class FinetuneJobTest {

    @TempDir
    static Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path pretrained;
    private static Path train;
    private static Path dev;

    static Path shared(String relative) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            for (Path c : new Path[] {d.resolve("shared/data/" + relative), d.resolve("../shared/data/" + relative)}) {
                if (Files.isRegularFile(c)) {
                    return c.normalize();
                }
            }
        }
        throw new IllegalStateException("shared/data/" + relative + " not found");
    }

    record Cli(int code, String out, String err) {}

    static Cli cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void pretrainAndSlice() throws Exception {
        String text = Files.readString(shared("corpus/gutenberg13.txt"), StandardCharsets.UTF_8);
        Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(dir.resolve("corpus/slice.txt"), text.substring(0, text.indexOf('\n', 120_000) + 1));
        Path job = dir.resolve("pretrain.yaml");
        Files.writeString(job, String.join("\n",
                "run: {name: tiny, output_dir: " + dir.resolve("runs") + "}",
                "data:",
                "  corpus: [" + dir.resolve("corpus") + "]",
                "  tokenizer: {vocab_size: 500}",
                "  seq_length: 32",
                "  validation_fraction: 0.1",
                "  cache_dir: " + dir.resolve("cache"),
                "model: {hidden_size: 32, num_layers: 2, num_heads: 2, intermediate_size: 64}",
                "training: {batch_size: 8, max_steps: 6, warmup_steps: 2, log_every: 3, eval_every: 6, "
                        + "eval_batches: 2}",
                ""));
        Cli c = cli("pretrain", job.toString());
        assertEquals(0, c.code(), c.err());
        pretrained = dir.resolve("runs/tiny/model");
        train = dir.resolve("train.tsv");
        dev = dir.resolve("dev.tsv");
        List<String> trainRows = Files.readAllLines(shared("classification/sst2/train.tsv")).subList(0, 48);
        Files.write(train, trainRows);
        Files.write(dev, Files.readAllLines(shared("classification/sst2/dev.tsv")).subList(0, 20));
    }

    static Path classificationJob(String name, String... extra) throws Exception {
        Path job = dir.resolve(name + ".yaml");
        List<String> lines = new ArrayList<>(List.of(
                "task: classification",
                "run: {name: " + name + ", output_dir: " + dir.resolve("runs") + "}",
                "model: {pretrained: " + pretrained + "}",
                "data:",
                "  train: " + train,
                "  validation: " + dev,
                "  columns: [label, text]",
                "  max_length: 32",
                "training: {batch_size: 8, max_steps: 6, learning_rate: 1.0e-3, schedule: constant, warmup_steps: 1, "
                        + "log_every: 3, eval_every: 3, save_every: 3}"));
        lines.addAll(Arrays.asList(extra));
        Files.writeString(job, String.join("\n", lines) + "\n");
        return job;
    }

    static List<JsonNode> evals(Path run) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            if (row.get("split").asText().equals("eval")) {
                out.add(row);
            }
        }
        return out;
    }

    @Test
    void classificationFinetunesEvaluatesAndPredicts() throws Exception {
        Path job = classificationJob("sst2");
        Cli c = cli("finetune", job.toString());
        assertEquals(0, c.code(), c.err());
        Path run = dir.resolve("runs/sst2");
        for (String f : List.of("model/labels.json", "model/model.json", "model/tokenizer.json", "accuracy.png",
                "loss.png", "summary.json", "config.yaml")) {
            assertTrue(Files.isRegularFile(run.resolve(f)), f);
        }
        List<JsonNode> evals = evals(run);
        assertEquals(2, evals.size());
        for (String m : List.of("accuracy", "macro_f1", "mcc", "loss")) {
            assertTrue(evals.get(1).has(m), evals.get(1).toString());
        }
        assertEquals("sequence_classification",
                JSON.readTree(run.resolve("model/model.json").toFile()).get("head").get("type").asText());

        // evaluate: the final model on the validation file gives the run's last evaluation.
        Path metrics = dir.resolve("eval.json");
        Cli e = cli("evaluate", run.resolve("model").toString(), job.toString(), "--out", metrics.toString());
        assertEquals(0, e.code(), e.err());
        JsonNode m = JSON.readTree(metrics.toFile());
        assertEquals(evals.get(1).get("accuracy").asDouble(), m.get("accuracy").asDouble(), 1e-12);
        assertEquals(evals.get(1).get("loss").asDouble(), m.get("loss").asDouble(), 1e-4);
        assertEquals(20, m.get("examples").asInt());

        // predict: a label and probabilities per row, agreeing with evaluate's accuracy.
        Path preds = dir.resolve("preds.jsonl");
        Cli p = cli("predict", run.resolve("model").toString(), dev.toString(), "--columns", "label,text",
                "--max-length", "32", "--out", preds.toString());
        assertEquals(0, p.code(), p.err());
        List<String> lines = Files.readAllLines(preds);
        List<String> gold = Files.readAllLines(dev);
        assertEquals(20, lines.size());
        int correct = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode row = JSON.readTree(lines.get(i));
            double sum = row.get("probabilities").get("0").asDouble() + row.get("probabilities").get("1").asDouble();
            assertEquals(1.0, sum, 1e-6);
            correct += row.get("label").asText().equals(gold.get(i).split("\t")[0]) ? 1 : 0;
        }
        assertEquals(m.get("accuracy").asDouble(), correct / 20.0, 1e-12);
    }

    @Test
    void resumedRunEqualsTheUninterruptedOne() throws Exception {
        Cli full = cli("finetune", classificationJob("full").toString());
        assertEquals(0, full.code(), full.err());
        Cli half = cli("finetune", classificationJob("half").toString(), "training.max_steps=3");
        assertEquals(0, half.code(), half.err());
        Cli resumed = cli("resume", dir.resolve("runs/half").toString(), "training.max_steps=6");
        assertEquals(0, resumed.code(), resumed.err());
        assertArrayEquals(Files.readAllBytes(dir.resolve("runs/full/model/model.params")),
                Files.readAllBytes(dir.resolve("runs/half/model/model.params")));
        assertEquals(evals(dir.resolve("runs/full")).get(1).get("loss").asDouble(),
                evals(dir.resolve("runs/half")).get(1).get("loss").asDouble(), 0.0);
    }

    @Test
    void regressionAndMultiLabel() throws Exception {
        Path reg = dir.resolve("reg.tsv");
        Path multi = dir.resolve("multi.tsv");
        List<String> rows = Files.readAllLines(train);
        List<String> r = new ArrayList<>();
        List<String> ml = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String[] f = rows.get(i).split("\t");
            r.add((f[0].equals("1") ? "0.75" : "-0.5") + "\t" + f[1]);
            ml.add((i % 3 == 0 ? "a,b" : f[0].equals("1") ? "a" : "b") + "\t" + f[1]);
        }
        Files.write(reg, r);
        Files.write(multi, ml);
        Cli c = cli("finetune", classificationJob("reg", "head: {problem_type: regression}").toString(),
                "data.train=" + reg, "data.validation=" + reg);
        assertEquals(0, c.code(), c.err());
        assertTrue(evals(dir.resolve("runs/reg")).get(1).get("mse").asDouble() >= 0);
        assertTrue(Files.isRegularFile(dir.resolve("runs/reg/mse.png")));
        Cli m = cli("finetune", classificationJob("multi", "head: {problem_type: multi_label_classification}")
                .toString(), "data.train=" + multi, "data.validation=" + multi);
        assertEquals(0, m.code(), m.err());
        JsonNode labels = JSON.readTree(dir.resolve("runs/multi/model/labels.json").toFile()).get("id2label");
        assertEquals("a", labels.get("0").asText());
        assertEquals("b", labels.get("1").asText());
        Cli p = cli("predict", dir.resolve("runs/multi").toString(), multi.toString(), "--columns", "label,text");
        assertEquals(0, p.code(), p.err());
        JsonNode first = JSON.readTree(p.out().lines().findFirst().orElseThrow());
        assertTrue(first.has("labels") && first.get("probabilities").has("a"), first.toString());
    }

    @Test
    void questionAnsweringFinetunesAndPredicts() throws Exception {
        // The first paragraph of each of the first 6 articles of the shared SQuAD file.
        JsonNode squad = JSON.readTree(shared("qa/squad-v1.1-dev-minus-xquad.json").toFile());
        ObjectNode small = JSON.createObjectNode();
        ArrayNode data = small.putArray("data");
        for (int a = 0; a < 6; a++) {
            ObjectNode article = squad.get("data").get(a).deepCopy();
            ArrayNode paragraphs = JSON.createArrayNode();
            paragraphs.add(article.get("paragraphs").get(0));
            article.set("paragraphs", paragraphs);
            data.add(article);
        }
        Path file = dir.resolve("squad.json");
        JSON.writeValue(file.toFile(), small);
        Path job = dir.resolve("qa.yaml");
        Files.writeString(job, String.join("\n",
                "task: question_answering",
                "run: {name: qa, output_dir: " + dir.resolve("runs") + "}",
                "model: {pretrained: " + pretrained + "}",
                "data: {train: " + file + ", validation_fraction: 0.34, max_length: 32, max_query_length: 12, "
                        + "doc_stride: 2}",
                "training: {batch_size: 8, max_steps: 4, warmup_steps: 1, log_every: 2, eval_every: 4}",
                ""));
        Cli c = cli("finetune", job.toString());
        assertEquals(0, c.code(), c.err());
        Path run = dir.resolve("runs/qa");
        JsonNode last = evals(run).get(0);
        assertTrue(last.has("exact_match") && last.has("f1") && last.get("questions").asInt() > 0, last.toString());
        assertTrue(Files.isRegularFile(run.resolve("f1.png")));

        Cli e = cli("evaluate", run.toString(), job.toString());
        assertEquals(0, e.code(), e.err());
        assertEquals(last.get("f1").asDouble(), JSON.readTree(e.out()).get("f1").asDouble(), 1e-12);

        String context = squad.get("data").get(0).get("paragraphs").get(0).get("context").asText();
        Path questions = dir.resolve("questions.jsonl");
        ObjectNode q = JSON.createObjectNode().put("id", "q1").put("question", "Which team won?")
                .put("context", context);
        Files.writeString(questions, q + "\n");
        Cli p = cli("predict", run.resolve("model").toString(), questions.toString(), "--max-length", "32");
        assertEquals(0, p.code(), p.err());
        JsonNode answer = JSON.readTree(p.out().strip());
        assertEquals("q1", answer.get("id").asText());
        int start = answer.get("start").asInt();
        String text = answer.get("answer").asText();
        assertEquals(context.substring(start, start + text.length()), text);
    }

    @Test
    void badInputIsOneLineNamingTheProblem() throws Exception {
        Path job = classificationJob("bad");
        // A label in the validation data that the training data does not have.
        Path badDev = dir.resolve("bad-dev.tsv");
        Files.writeString(badDev, "1\tfine\n2\tnot a label we know\n");
        Cli c = cli("finetune", job.toString(), "data.validation=" + badDev);
        assertEquals(2, c.code());
        assertTrue(c.err().contains("bad-dev.tsv: line 2: unknown label '2' (known labels: 0, 1)"), c.err());
        assertEquals(1, c.err().strip().lines().count(), c.err());
        assertFalse(Files.exists(dir.resolve("runs/bad")));

        // A missing file, and a missing model directory.
        c = cli("finetune", job.toString(), "data.train=" + dir.resolve("nope.tsv"));
        assertTrue(c.err().contains("data.train: " + dir.resolve("nope.tsv") + " does not exist"), c.err());
        c = cli("finetune", job.toString(), "model.pretrained=" + dir.resolve("nowhere"));
        assertTrue(c.err().contains("model.pretrained: " + dir.resolve("nowhere") + " does not exist"), c.err());
        assertFalse(Files.exists(dir.resolve("runs/bad")));

        // A model directory of another architecture than the job asks for: fromPretrained names the parameter.
        c = cli("finetune", job.toString(), "model.intermediate_size=48");
        assertEquals(2, c.code());
        assertTrue(c.err().contains("encoder_layer0_feed_forward") && c.err().contains("does not match"), c.err());

        // A classifier fine-tuned again on a different label set.
        Cli first = cli("finetune", classificationJob("labels01").toString(), "training.max_steps=1");
        assertEquals(0, first.code(), first.err());
        Path named = dir.resolve("named.tsv");
        Files.write(named, Files.readAllLines(train).stream()
                .map(l -> (l.startsWith("1") ? "pos" : "neg") + l.substring(1)).toList());
        c = cli("finetune", job.toString(), "model.pretrained=" + dir.resolve("runs/labels01/model"),
                "data.train=" + named, "data.validation=" + named, "run.name=relabel");
        assertEquals(2, c.code());
        assertTrue(c.err().contains("has labels [0, 1] but the training data has [neg, pos]"), c.err());

        // A misspelt encoder key next to pretrained.
        c = cli("finetune", job.toString(), "model.dropuot=0.2");
        assertTrue(c.err().contains("model.dropuot: unknown key") && c.err().contains("dropout"), c.err());
    }

    @Test
    void printConfigShowsTheResolvedJob() throws Exception {
        Cli c = cli("finetune", classificationJob("printed").toString(), "--print-config");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("task: \"classification\"") || c.out().contains("task: classification"), c.out());
        assertTrue(c.out().contains("pretrained: ") && c.out().contains("max_length: 32"), c.out());
    }
}
