package io.encoder4j.datasets.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextCorpusTest {

    @TempDir
    Path dir;

    @Test
    void paragraphsBecomeDocumentsWithWrappedLinesJoined() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "First line\nwraps here.\n\n\n  Second   \r\nparagraph.\n");
        Files.writeString(dir.resolve("b.txt"), "Third.");
        TextCorpus corpus = TextCorpus.of("data.corpus", List.of(dir.toString()));
        assertEquals(List.of("First line wraps here.", "Second paragraph.", "Third."), corpus.documents("k"));
    }

    @Test
    void fingerprintFollowsContent() throws Exception {
        Path f = Files.writeString(dir.resolve("a.txt"), "some text");
        String before = TextCorpus.of("k", List.of(f.toString())).contentHash();
        Files.writeString(f, "some text!");
        assertNotEquals(before, TextCorpus.of("k", List.of(f.toString())).contentHash());
    }

    @Test
    void missingPathAndEmptyCorpusAreNamed() throws Exception {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> TextCorpus.of("data.corpus", List.of(dir.resolve("nope.txt").toString())));
        assertTrue(missing.getMessage().startsWith("data.corpus: corpus path '" + dir.resolve("nope.txt")
                + "' does not exist"), missing.getMessage());
        Path blank = Files.writeString(dir.resolve("blank.txt"), "\n \n\t\n");
        ConfigException empty = assertThrows(ConfigException.class,
                () -> TextCorpus.of("data.corpus", List.of(blank.toString())).documents("data.corpus"));
        assertTrue(empty.getMessage().startsWith("data.corpus: the corpus is empty"), empty.getMessage());
        Files.write(dir.resolve("bad.txt"), new byte[] {(byte) 0xff, (byte) 0xfe, 'a'});
        ConfigException binary = assertThrows(ConfigException.class,
                () -> TextCorpus.of("data.corpus", List.of(dir.resolve("bad.txt").toString())).documents("data.corpus"));
        assertTrue(binary.getMessage().startsWith(dir.resolve("bad.txt") + ": line 1: invalid UTF-8"),
                binary.getMessage());
    }
}
