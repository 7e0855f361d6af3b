package io.encoder4j.datasets.tasks.tagging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaggedReaderTest {

    @TempDir
    Path dir;

    @Test
    void readsConllWithDocstartAndLastColumnTags() throws Exception {
        Path f = dir.resolve("a.conll");
        Files.writeString(f, "-DOCSTART- -X- O\n\nGeorge NNP B-PER\nWashington NNP I-PER\nspoke VBD O\n\n\n"
                + "In\tO\nTexas\tB-LOC\n");
        List<TaggedExample> s = TaggedReader.read(f, "tokens", "tags", true);
        assertEquals(2, s.size());
        assertEquals(List.of("George", "Washington", "spoke"), s.get(0).words());
        assertEquals(List.of("B-PER", "I-PER", "O"), s.get(0).tags());
        assertEquals(List.of("O", "B-LOC"), s.get(1).tags());
        assertEquals(f + ": line 8", s.get(1).source());
    }

    @Test
    void readsJsonlWithConfiguredFields() throws Exception {
        Path f = dir.resolve("a.jsonl");
        Files.writeString(f, "{\"words\": [\"In\", \"Texas\"], \"ner\": [\"O\", \"B-LOC\"]}\n\n"
                + "{\"words\": [\"Hello\"]}\n");
        List<TaggedExample> s = TaggedReader.read(f, "words", "ner", false);
        assertEquals(List.of("O", "B-LOC"), s.get(0).tags());
        assertNull(s.get(1).tags());
        ConfigException e = assertThrows(ConfigException.class, () -> TaggedReader.read(f, "words", "ner", true));
        assertEquals(f + ": line 3: no 'ner' array", e.getMessage());
    }

    @Test
    void badInputNamesFileAndLine() throws Exception {
        Path conll = dir.resolve("b.conll");
        Files.writeString(conll, "In O\nTexas\n");
        ConfigException e = assertThrows(ConfigException.class, () -> TaggedReader.read(conll, "t", "g", true));
        assertTrue(e.getMessage().startsWith(conll + ": line 2: 'Texas' has no tag"), e.getMessage());
        Path jsonl = dir.resolve("b.jsonl");
        Files.writeString(jsonl, "{\"tokens\": [\"a\"], \"tags\": [\"O\"]}\n{\"tokens\": [\"a\", \"b\"], \"tags\": [\"O\"]}\n");
        e = assertThrows(ConfigException.class, () -> TaggedReader.read(jsonl, "tokens", "tags", true));
        assertEquals(jsonl + ": line 2: 2 tokens but 1 tags", e.getMessage());
    }
}
