package io.encoder4j.training.finetune;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A BigBirdForQuestionAnswering checkpoint made by transformers (models/src/test/resources/hf/big_bird-qa-tiny),
 * imported, then evaluated and fine-tuned with the ordinary question-answering pipeline: the fine-tuning data passes
 * no token types, so the model derives them (and its question mask) from the first {@code </s>} of each window.
 * The questions are SQuAD-shaped, written in the fixture's word-level vocabulary ({@code w5} ... {@code w99}).
 */
class BigBirdQuestionAnsweringJobTest {

    /** Tests run in training/. */
    private static final Path FIXTURE = Path.of("../models/src/test/resources/hf/big_bird-qa-tiny");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    record Cli(int code, String out, String err) {}

    static Cli cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(code, out.toString(), err.toString());
    }

    private static String words(int from, int count) {
        List<String> w = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            w.add("w" + (from + i));
        }
        return String.join(" ", w);
    }

    /** 4 articles of one 14-word paragraph with 3 questions each; every answer is two words of the paragraph. */
    private Path squad() throws Exception {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode data = root.putArray("data");
        for (int a = 0; a < 4; a++) {
            ObjectNode article = data.addObject().put("title", "article " + a);
            int first = 10 + 20 * a;
            String context = words(first, 14);
            ObjectNode paragraph = article.putArray("paragraphs").addObject().put("context", context);
            ArrayNode qas = paragraph.putArray("qas");
            for (int q = 0; q < 3; q++) {
                String answer = words(first + 3 + 4 * q, 2);
                qas.addObject().put("id", a + "-" + q).put("question", words(first + 2 * q, 3))
                        .putArray("answers").addObject().put("text", answer)
                        .put("answer_start", context.indexOf(answer));
            }
        }
        Path file = dir.resolve("squad.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }

    private Path job(String name, Path pretrained) throws Exception {
        Path job = dir.resolve(name + ".yaml");
        Files.writeString(job, String.join("\n",
                "task: question_answering",
                "run: {name: " + name + ", output_dir: " + dir.resolve("runs") + "}",
                "model: {pretrained: " + pretrained + "}",
                "data: {train: " + squad() + ", validation_fraction: 0.25, max_length: 24, max_query_length: 6, "
                        + "doc_stride: 4}",
                "training: {batch_size: 4, max_steps: 2, warmup_steps: 1, log_every: 2, eval_every: 2}",
                ""));
        return job;
    }

    @Test
    void anImportedBigBirdQuestionAnsweringModelEvaluatesAndFinetunesWithItsOwnHead() throws Exception {
        Path imported = dir.resolve("imported");
        Cli c = cli("import", FIXTURE.toString(), imported.toString());
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("BigBirdForQuestionAnswering"), c.out());
        Path job = job("bigbird", imported);

        // As imported: its own head, evaluated on the windows the pipeline builds.
        c = cli("evaluate", imported.toString(), job.toString());
        assertEquals(0, c.code(), c.err());
        assertEquals(3, JSON.readTree(c.out()).get("questions").asInt(), c.out());

        // Fine-tuned from it: the new head is BigBird's again, over the encoder's two token types.
        c = cli("finetune", job.toString());
        assertEquals(0, c.code(), c.err());
        Path run = dir.resolve("runs/bigbird");
        JsonNode model = JSON.readTree(run.resolve("model/model.json").toFile());
        assertEquals("bigbird", model.get("head").get("qa_head").asText(), model.toString());
        assertEquals(2, model.get("head").get("sep_token_id").asInt());
        assertEquals(2, model.get("encoder").get("type_vocab_size").asInt());
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            if (row.get("split").asText().equals("train")) {
                assertTrue(Double.isFinite(row.get("loss").asDouble()) && row.get("skipped_steps").asInt() == 0,
                        row.toString());
            }
        }
        JsonNode last = FinetuneJobTest.evals(run).get(0);
        c = cli("evaluate", run.toString(), job.toString());
        assertEquals(0, c.code(), c.err());
        assertEquals(last.get("f1").asDouble(), JSON.readTree(c.out()).get("f1").asDouble(), 1e-12);

        // head.qa_head chooses the other style.
        c = cli("finetune", job.toString(), "run.name=linear", "head.qa_head=linear", "training.max_steps=1");
        assertEquals(0, c.code(), c.err());
        assertEquals("linear", JSON.readTree(dir.resolve("runs/linear/model/model.json").toFile()).get("head")
                .get("qa_head").asText());
    }

    @Test
    void badInputIsOneLineNamingTheKey() throws Exception {
        // BigBird's head on an encoder with RoBERTa's single token type.
        Path roberta = dir.resolve("roberta");
        assertEquals(0, cli("import", "../models/src/test/resources/hf/roberta-qa-tiny", roberta.toString()).code());
        Cli c = cli("finetune", job("one-type", roberta).toString(), "head.qa_head=bigbird");
        assertEquals(2, c.code());
        assertTrue(c.err().contains("head.qa_head: bigbird gives the context token type 1 and needs an encoder with "
                + "type_vocab_size 2 or more"), c.err());
        assertEquals(1, c.err().strip().lines().count(), c.err());
        assertFalse(Files.exists(dir.resolve("runs/one-type")));

        c = cli("finetune", job("typo", roberta).toString(), "head.qa_head=bigbrid");
        assertEquals(2, c.code());
        assertTrue(c.err().contains("head.qa_head: unknown 'bigbrid'"), c.err());
        Path classification = Files.writeString(dir.resolve("cls.yaml"), String.join("\n",
                "task: classification", "model: {pretrained: " + roberta + "}",
                "data: {train: " + dir.resolve("train.tsv") + ", columns: [label, text]}", "head: {qa_head: linear}",
                ""));
        c = cli("finetune", classification.toString());
        assertEquals(2, c.code());
        assertTrue(c.err().contains("head.qa_head does not apply to task classification"), c.err());

        // A model whose head looks for another separator than the </s> that frames the windows.
        Path imported = dir.resolve("imported");
        assertEquals(0, cli("import", FIXTURE.toString(), imported.toString()).code());
        ObjectNode config = (ObjectNode) JSON.readTree(imported.resolve("model.json").toFile());
        ((ObjectNode) config.get("head")).put("sep_token_id", 66);
        JSON.writeValue(imported.resolve("model.json").toFile(), config);
        c = cli("evaluate", imported.toString(), job("sep", imported).toString());
        assertEquals(2, c.code());
        assertTrue(c.err().contains("head.sep_token_id 66 is not the tokenizer's </s> (2)"), c.err());
    }
}
