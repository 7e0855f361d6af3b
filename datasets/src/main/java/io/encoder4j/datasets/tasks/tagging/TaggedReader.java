package io.encoder4j.datasets.tasks.tagging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads tagged sentences for token classification. A {@code .jsonl} file holds one sentence per line,
 * {@code {"tokens": [...], "tags": [...]}} (field names configurable); any other file is CoNLL style: one
 * {@code word<TAB or spaces>tag} per line (the tag is the last column), a blank line between sentences,
 * {@code -DOCSTART-} lines skipped. Without {@code requireTags} (prediction) tags may be absent: a CoNLL line may be
 * the word alone, a JSONL row may lack the tags field. Bad input is a {@link ConfigException} naming file and line.
 */
public final class TaggedReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TaggedReader() {}

    public static List<TaggedExample> read(Path file, String tokensField, String tagsField, boolean requireTags) {
        try {
            List<TaggedExample> out = file.getFileName().toString().endsWith(".jsonl")
                    ? readJsonl(file, tokensField, tagsField, requireTags) : readConll(file, requireTags);
            if (out.isEmpty()) {
                throw new ConfigException(file + ": no sentences");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<TaggedExample> readConll(Path file, boolean requireTags) throws IOException {
        List<TaggedExample> out = new ArrayList<>();
        List<String> words = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        int start = 0;
        Boolean tagged = null;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("-DOCSTART-")) {
                    if (!words.isEmpty()) {
                        out.add(new TaggedExample(words, tagged ? tags : null, file + ": line " + start));
                        words.clear();
                        tags.clear();
                        tagged = null;
                    }
                    continue;
                }
                String[] cols = s.split("[\t ]+");
                boolean hasTag = cols.length >= 2;
                if (!hasTag && requireTags) {
                    throw new ConfigException(file + ": line " + n + ": '" + s + "' has no tag (expected word, "
                            + "then the tag as the last column)");
                }
                if (tagged != null && tagged != hasTag) {
                    throw new ConfigException(file + ": line " + n + ": some words of this sentence have tags and "
                            + "some do not");
                }
                if (words.isEmpty()) {
                    start = n;
                }
                tagged = hasTag;
                words.add(cols[0]);
                if (hasTag) {
                    tags.add(cols[cols.length - 1]);
                }
            }
        }
        if (!words.isEmpty()) {
            out.add(new TaggedExample(words, tagged ? tags : null, file + ": line " + start));
        }
        return out;
    }

    private static List<TaggedExample> readJsonl(Path file, String tokensField, String tagsField,
            boolean requireTags) throws IOException {
        List<TaggedExample> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                String where = file + ": line " + n;
                JsonNode row;
                try {
                    row = JSON.readTree(line);
                } catch (IOException e) {
                    throw new ConfigException(where + ": malformed JSON: " + e.getMessage().lines().findFirst()
                            .orElse(""));
                }
                List<String> words = strings(row.get(tokensField), tokensField, where);
                if (words == null) {
                    throw new ConfigException(where + ": no '" + tokensField + "' array");
                }
                List<String> tags = strings(row.get(tagsField), tagsField, where);
                if (tags == null && requireTags) {
                    throw new ConfigException(where + ": no '" + tagsField + "' array");
                }
                if (tags != null && tags.size() != words.size()) {
                    throw new ConfigException(where + ": " + words.size() + " " + tokensField + " but "
                            + tags.size() + " " + tagsField);
                }
                if (words.isEmpty()) {
                    throw new ConfigException(where + ": empty '" + tokensField + "'");
                }
                out.add(new TaggedExample(words, tags, where));
            }
        }
        return out;
    }

    private static List<String> strings(JsonNode node, String field, String where) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray()) {
            throw new ConfigException(where + ": '" + field + "' is not an array");
        }
        List<String> out = new ArrayList<>(node.size());
        for (JsonNode x : node) {
            if (!x.isTextual()) {
                throw new ConfigException(where + ": '" + field + "' holds a non-string " + x);
            }
            out.add(x.asText());
        }
        return out;
    }
}
