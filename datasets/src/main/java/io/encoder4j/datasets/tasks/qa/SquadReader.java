package io.encoder4j.datasets.tasks.qa;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.input.BadRows;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads SQuAD v1.1 and v2.0 JSON ({@code {"version", "data": [{"title", "paragraphs": [{"context", "qas": [{"id",
 * "question", "answers": [{"text", "answer_start"}], "is_impossible"}]}]}]}}). The file is streamed so that a bad
 * question is reported with its line and column: an answer whose text is not at its {@code answer_start}, a v1.1
 * question without answers, a missing field. Such a question stops the read, or is skipped and counted with
 * {@code skip_bad_rows}.
 */
public final class SquadReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SquadReader() {}

    /** Reads every question of {@code file}, stopping at the first bad one. */
    public static List<SquadExample> read(Path file) {
        return read(file, BadRows.strict());
    }

    /** Reads every question of {@code file}; bad questions go to {@code bad}. */
    public static List<SquadExample> read(Path file, BadRows bad) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": no such file (resolved against " + Path.of("").toAbsolutePath() + ")");
        }
        List<SquadExample> examples = new ArrayList<>();
        try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new ConfigException(file + ": not a SQuAD file (expected a JSON object with 'data')");
            }
            boolean sawData = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("data")) {
                    sawData = true;
                    expect(p, JsonToken.START_ARRAY, file, "'data' must be an array");
                    while (p.nextToken() == JsonToken.START_OBJECT) {
                        readArticle(p, file, bad, examples);
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (!sawData) {
                throw new ConfigException(file + ": not a SQuAD file (no 'data' array)");
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new ConfigException(file + ": line " + (at == null ? "?" : at.getLineNr() + ", column "
                    + at.getColumnNr()) + ": malformed JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""),
                    e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (examples.isEmpty()) {
            bad.report(file, 0, "no questions");
        }
        bad.logSummary(file.toString());
        return examples;
    }

    private static void expect(JsonParser p, JsonToken token, Path file, String message) {
        if (p.currentToken() != token) {
            JsonLocation at = p.currentTokenLocation();
            throw new ConfigException(file + ": line " + at.getLineNr() + ", column " + at.getColumnNr() + ": "
                    + message);
        }
    }

    private static void readArticle(JsonParser p, Path file, BadRows bad, List<SquadExample> out) throws IOException {
        String title = "";
        List<JsonLocation> paragraphStarts = new ArrayList<>();
        List<ParagraphFields> paragraphs = new ArrayList<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("title")) {
                title = p.getValueAsString("");
            } else if (field.equals("paragraphs")) {
                expect(p, JsonToken.START_ARRAY, file, "'paragraphs' must be an array");
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    paragraphStarts.add(p.currentTokenLocation());
                    paragraphs.add(readParagraph(p, file));
                }
            } else {
                p.skipChildren();
            }
        }
        for (int i = 0; i < paragraphs.size(); i++) {
            ParagraphFields para = paragraphs.get(i);
            if (para.context == null) {
                JsonLocation at = paragraphStarts.get(i);
                bad.report(file, at.getLineNr(), "column " + at.getColumnNr() + ": paragraph without 'context'");
                continue;
            }
            for (int q = 0; q < para.qas.size(); q++) {
                SquadExample e = toExample(title, para.context, para.qas.get(q), para.qaStarts.get(q), file, bad);
                if (e != null) {
                    out.add(e);
                }
            }
        }
    }

    private static final class ParagraphFields {
        String context;
        final List<JsonNode> qas = new ArrayList<>();
        final List<JsonLocation> qaStarts = new ArrayList<>();
    }

    private static ParagraphFields readParagraph(JsonParser p, Path file) throws IOException {
        ParagraphFields para = new ParagraphFields();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("context")) {
                para.context = p.getValueAsString();
            } else if (field.equals("qas")) {
                expect(p, JsonToken.START_ARRAY, file, "'qas' must be an array");
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    para.qaStarts.add(p.currentTokenLocation());
                    para.qas.add(p.readValueAsTree());
                }
            } else {
                p.skipChildren();
            }
        }
        return para;
    }

    private static SquadExample toExample(String title, String context, JsonNode qa, JsonLocation at, Path file,
            BadRows bad) {
        String where = file + ": line " + at.getLineNr() + ", column " + at.getColumnNr();
        String id = qa.path("id").asText(null);
        String question = qa.path("question").asText(null);
        if (id == null || question == null) {
            bad.report(file, at.getLineNr(), "column " + at.getColumnNr() + ": question without 'id' or 'question'");
            return null;
        }
        boolean impossible = qa.path("is_impossible").asBoolean(false);
        List<SquadAnswer> answers = new ArrayList<>();
        if (!impossible) {
            for (JsonNode a : qa.path("answers")) {
                String text = a.path("text").asText(null);
                JsonNode startNode = a.path("answer_start");
                if (text == null || !startNode.canConvertToInt()) {
                    bad.report(file, at.getLineNr(), "column " + at.getColumnNr() + ": question " + id
                            + ": an answer without 'text' or integer 'answer_start'");
                    return null;
                }
                int codePoints = context.codePointCount(0, context.length());
                int start = startNode.asInt();
                if (start < 0 || start > codePoints) {
                    bad.report(file, at.getLineNr(), "column " + at.getColumnNr() + ": question " + id
                            + ": answer_start " + start + " is outside the context (" + codePoints + " characters)");
                    return null;
                }
                // answer_start counts code points (Python's str indices); String indices count UTF-16 units.
                int utf16 = context.offsetByCodePoints(0, start);
                if (!context.startsWith(text, utf16)) {
                    String found = context.substring(utf16, Math.min(context.length(), utf16 + text.length()));
                    bad.report(file, at.getLineNr(), "column " + at.getColumnNr() + ": question " + id + ": answer '"
                            + text + "' is not at answer_start " + start + " (the context there reads '" + found
                            + "')");
                    return null;
                }
                answers.add(new SquadAnswer(text, utf16));
            }
            if (answers.isEmpty()) {
                bad.report(file, at.getLineNr(), "column " + at.getColumnNr() + ": question " + id
                        + " has no answers and is not marked is_impossible");
                return null;
            }
        }
        return new SquadExample(id, title, question.stripLeading(), context, answers, impossible, where);
    }
}
