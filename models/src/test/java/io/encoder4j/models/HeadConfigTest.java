package io.encoder4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Head configs: defaults as transformers infers them, and errors that name the key and its line. */
class HeadConfigTest {

    @TempDir
    Path dir;

    /** A job-like file with a head: section. */
    record Job(HeadConfig head) {}

    private HeadConfig load(String yaml) throws Exception {
        return ConfigLoader.load(Files.writeString(dir.resolve("job.yaml"), yaml), Job.class, List.of()).head();
    }

    private String error(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml)).getMessage();
    }

    @Test
    void defaultsFollowTransformers() throws Exception {
        HeadConfig two = load("head: {type: sequence_classification}\n");
        assertEquals(2, two.numLabels());
        assertEquals(HeadConfig.SINGLE_LABEL, two.problemType());
        // One output is a regression, as transformers infers when problem_type is unset.
        assertEquals(HeadConfig.REGRESSION, load("head: {type: sequence_classification, num_labels: 1}\n")
                .problemType());
        assertEquals(1, load("head: {type: sequence_classification, problem_type: regression}\n").numLabels());
        HeadConfig named = load("head: {type: token_classification, labels: [O, B-PER, I-PER]}\n");
        assertEquals(3, named.numLabels());
        assertEquals(List.of("O", "B-PER", "I-PER"), named.labels());
        HeadConfig qa = load("head: {type: question_answering}\n");
        assertEquals(2, qa.numLabels());
        assertEquals(2, qa.sepTokenId());
        assertEquals(HeadConfig.maskedLm(), load("head: {type: masked_lm}\n"));
        // Written back with only what applies.
        assertEquals("type: masked_lm\n", ConfigLoader.toYaml(HeadConfig.maskedLm()));
    }

    @Test
    void classifierActivationIsTanhUnlessGeluIsAsked() throws Exception {
        assertEquals(HeadConfig.TANH, load("head: {type: sequence_classification}\n").classifierActivation());
        assertEquals(HeadConfig.GELU, load("head: {type: sequence_classification, classifier_activation: gelu}\n")
                .classifierActivation());
        assertEquals(HeadConfig.sequenceClassification(2, null),
                new HeadConfig(HeadConfig.SEQUENCE_CLASSIFICATION, 2, null, null, null, null, "tanh"));
        assertTrue(error("head:\n  type: sequence_classification\n  classifier_activation: gleu\n").endsWith(
                "line 3: head.classifier_activation: unknown 'gleu' (did you mean 'gelu'?) (known: tanh, gelu)"),
                error("head:\n  type: sequence_classification\n  classifier_activation: gleu\n"));
        assertTrue(error("head:\n  type: token_classification\n  classifier_activation: gelu\n").contains(
                "classifier_activation does not apply to head type 'token_classification'"));
    }

    @Test
    void qaHeadIsLinearUnlessBigBirdIsAsked() throws Exception {
        assertEquals(HeadConfig.QA_LINEAR, load("head: {type: question_answering}\n").qaHead());
        HeadConfig bigBird = load("head: {type: question_answering, qa_head: bigbird}\n");
        assertEquals(HeadConfig.QA_BIGBIRD, bigBird.qaHead());
        assertTrue(bigBird.isBigBirdQa());
        assertEquals(HeadConfig.questionAnswering(),
                new HeadConfig(HeadConfig.QUESTION_ANSWERING, null, null, null, null, null, null, "linear"));
        String typo = error("head:\n  type: question_answering\n  qa_head: bigbrid\n");
        assertTrue(typo.endsWith("line 3: head.qa_head: unknown 'bigbrid' (did you mean 'bigbird'?) (known: linear, "
                + "bigbird)"), typo);
        assertTrue(error("head:\n  type: sequence_classification\n  qa_head: bigbird\n").contains(
                "qa_head does not apply to head type 'sequence_classification'"));
    }

    @Test
    void errorsNameTheKey() {
        assertTrue(error("head:\n  type: sequence_clasification\n").endsWith("line 2: head.type: unknown head "
                + "type 'sequence_clasification' (did you mean 'sequence_classification'?) (known: masked_lm, "
                + "sequence_classification, question_answering, token_classification)"),
                error("head:\n  type: sequence_clasification\n"));
        assertTrue(error("head:\n  type: masked_lm\n  num_labels: 3\n").endsWith(
                "line 3: head.num_labels does not apply to head type 'masked_lm' (it takes only type)"));
        assertTrue(error("head:\n  type: question_answering\n  num_labels: 3\n").endsWith(
                "line 3: head.num_labels must be 2 for question_answering (start and end logits), got 3"));
        assertTrue(error("head:\n  type: sequence_classification\n  problem_type: multilabel\n")
                .contains("line 3: head.problem_type: unknown 'multilabel'"));
        assertTrue(error("head:\n  type: sequence_classification\n  num_labels: 3\n  labels: [a, b]\n")
                .endsWith("line 4: head.labels has 2 names for num_labels 3"));
        assertTrue(error("head:\n  type: sequence_classification\n  problem_type: single_label_classification\n"
                + "  num_labels: 1\n").contains("head.num_labels must be at least 2"));
        assertTrue(error("head:\n  type: token_classification\n  classifier_dropout: 1.5\n")
                .endsWith("line 3: head.classifier_dropout must be in [0, 1), got 1.5"));
        assertTrue(error("head:\n  type: token_classification\n  labels: [a, a]\n")
                .endsWith("line 3: head.labels: 'a' appears twice"));
        assertTrue(error("head: {num_labels: 2}\n").contains("head.type must be set"));
    }
}
