package io.encoder4j.datasets.corpus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.arrow.ArrowShardWriter;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.tasks.TaskTesting;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {

    @TempDir
    Path dir;

    /** Collects what a corpus sends. */
    private static final class Collected implements DocumentSink {
        final List<String> texts = new ArrayList<>();
        final List<int[]> tokens = new ArrayList<>();

        @Override
        public void text(String document) {
            texts.add(document);
        }

        @Override
        public void tokens(int[] ids) {
            tokens.add(ids);
        }
    }

    private static Collected read(Corpus corpus, BadRows bad) {
        Collected c = new Collected();
        corpus.read(bad, c);
        return c;
    }

    private static Collected read(CorpusInput... inputs) {
        return read(Corpus.of("data.inputs", List.of(inputs)), BadRows.strict());
    }

    private static CorpusInput input(Path path, String format, String field, List<String> columns, String docs) {
        return new CorpusInput(path.toString(), format, field, columns, docs, null);
    }

    private static String inaugural(int chars) throws Exception {
        return Files.readString(TaskTesting.shared("corpus/inaugural.txt")).substring(0, chars);
    }

    private static Path fixture(String name) throws Exception {
        return Path.of(CorpusTest.class.getResource("/hf-save-to-disk/" + name).toURI());
    }

    @Test
    void plainTextInEachDocumentModeAndGzipped() throws Exception {
        String text = inaugural(20_000);
        Path txt = Files.writeString(dir.resolve("a.txt"), text);
        Path gz = dir.resolve("b.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        List<String> paragraphs = read(CorpusInput.of(txt.toString())).texts;
        assertTrue(paragraphs.size() > 10);
        assertTrue(paragraphs.stream().noneMatch(p -> p.contains("\n") || p.isBlank()));
        assertEquals(paragraphs, read(CorpusInput.of(gz.toString())).texts);
        List<String> lines = read(input(txt, null, null, null, "lines")).texts;
        assertEquals(text.lines().filter(l -> !l.isBlank()).count(), lines.size());
        List<String> whole = read(input(txt, null, null, null, "file")).texts;
        assertEquals(1, whole.size());
        assertEquals(text.stripTrailing(), whole.get(0).stripTrailing());
    }

    @Test
    void jsonlCsvAndTsvWithNamedFields() throws Exception {
        List<String> sotu = Files.readAllLines(TaskTesting.shared("long/sotu.jsonl")).subList(0, 3);
        Path jsonl = Files.write(dir.resolve("sotu.jsonl"), sotu);
        Collected j = read(CorpusInput.of(jsonl.toString()));
        assertEquals(3, j.texts.size());
        assertTrue(j.texts.get(0).startsWith("Fellow-Citizens of the Senate"), j.texts.get(0).substring(0, 40));

        Collected t = read(input(TaskTesting.shared("classification/sst2/dev.tsv"), null, "sentence",
                List.of("label", "sentence"), null));
        assertEquals(872, t.texts.size());
        assertEquals("one long string of cliches .", t.texts.get(0));

        // RFC 4180: quoted commas, doubled quotes and a line break inside a field.
        Path csv = Files.writeString(dir.resolve("a.csv"),
                "id,body\n1,\"Fellow-Citizens, of the Senate\"\n2,\"He said \"\"no\"\"\nand left.\"\n3,plain\n");
        assertEquals(List.of("Fellow-Citizens, of the Senate", "He said \"no\"\nand left.", "plain"),
                read(input(csv, null, "body", null, null)).texts);
    }

    @Test
    void directoriesAndGlobsInNameOrder() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("corpus/sub"));
        Files.writeString(dir.resolve("corpus/b.txt"), "bee\n");
        Files.writeString(sub.resolve("a.txt"), "ay\n");
        Files.writeString(dir.resolve("corpus/c.jsonl"), "{\"text\": \"sea\"}\n");
        Files.writeString(dir.resolve("corpus/notes.md"), "not read\n");
        Files.writeString(dir.resolve("corpus/.hidden.txt"), "not read\n");
        assertEquals(List.of("bee", "sea", "ay"), read(CorpusInput.of(dir.resolve("corpus").toString())).texts);
        assertEquals(List.of("bee", "ay"), read(CorpusInput.of(dir.resolve("corpus") + "/**.txt")).texts);
        assertEquals(List.of("bee"), read(CorpusInput.of(dir.resolve("corpus") + "/*.txt")).texts);
        ConfigException none = assertThrows(ConfigException.class,
                () -> Corpus.of("data.inputs", List.of(CorpusInput.of(dir + "/*.parquet"))));
        assertTrue(none.getMessage().startsWith("data.inputs: '" + dir + "/*.parquet' matches no file"));
    }

    @Test
    void arrowIpcFilesGiveIdsOrText() throws Exception {
        Path shards = dir.resolve("shards");
        try (ArrowShardWriter w = new ArrowShardWriter(shards, 2, 10)) {
            w.write(new int[] {0, 5, 6, 2});
            w.write(new int[] {0, 7, 2});
            w.write(new int[] {0, 8, 9, 10, 2});
        }
        Collected c = read(CorpusInput.of(shards.resolve("shard-00000.arrow").toString()));
        assertEquals(3, c.tokens.size());
        assertArrayEquals(new int[] {0, 8, 9, 10, 2}, c.tokens.get(2));
    }

    @Test
    void huggingFaceSaveToDiskDirectories() throws Exception {
        // The fixture was written by datasets 5.0.1 (see make_fixture.py beside it): six paragraphs of Washington's
        // first inaugural address, in two Arrow stream files, with input_ids = [ord(c) % 50 for c in text[:40]].
        Path dataset = fixture("dataset");
        Collected ids = read(CorpusInput.of(dataset.toString()));
        Collected text = read(input(dataset, null, "text", null, null));
        assertEquals(6, ids.tokens.size());
        assertEquals(6, text.texts.size());
        assertTrue(text.texts.get(0).startsWith("Fellow-Citizens of the Senate and of the House"));
        for (int i = 0; i < 6; i++) {
            String t = text.texts.get(i);
            int[] expected = t.substring(0, Math.min(40, t.length())).chars().map(ch -> ch % 50).toArray();
            assertArrayEquals(expected, ids.tokens.get(i));
        }
        // The same paragraphs as the project's own copy of the address, read as plain text.
        String address = Files.readString(Path.of("../examples/data/quickstart/us-inaugural-addresses.txt"));
        Path txt = Files.writeString(dir.resolve("address.txt"), address.substring(0, 12_000));
        assertEquals(text.texts, read(CorpusInput.of(txt.toString())).texts.subList(0, 6));

        Path dict = fixture("dataset_dict");
        assertEquals(4, read(input(dict, null, "text", null, null)).texts.size());
        Collected validation = read(new CorpusInput(dict.toString(), null, "text", null, null, "validation"));
        assertEquals(text.texts.subList(4, 6), validation.texts);
        ConfigException noSplit = assertThrows(ConfigException.class,
                () -> read(new CorpusInput(dict.toString(), null, null, null, null, "test")));
        assertTrue(noSplit.getMessage().contains("no split 'test' (splits: train, validation)"), noSplit.getMessage());
        ConfigException noColumn = assertThrows(ConfigException.class,
                () -> read(input(dataset, null, "body", null, null)));
        assertTrue(noColumn.getMessage().contains("no column 'body' (columns: text, input_ids, label)"),
                noColumn.getMessage());
    }

    @Test
    void badInputNamesFileAndLineOrIsCountedWhenSkipping() throws Exception {
        Path jsonl = Files.writeString(dir.resolve("a.jsonl"), "{\"text\": \"one\"}\n{\"text\": \"two\"\n"
                + "[1, 2]\n{\"body\": \"x\"}\n{\"text\": \"five\"}\n");
        ConfigException malformed = assertThrows(ConfigException.class, () -> read(CorpusInput.of(jsonl.toString())));
        assertTrue(malformed.getMessage().startsWith(jsonl + ": line 2: malformed JSON"), malformed.getMessage());
        BadRows skipping = new BadRows(true);
        Collected kept = read(Corpus.of("k", List.of(CorpusInput.of(jsonl.toString()))), skipping);
        assertEquals(List.of("one", "five"), kept.texts);
        assertEquals(3, skipping.skipped());

        Path csv = Files.writeString(dir.resolve("a.csv"), "id,text\n1,fine\n2,too,many\n");
        ConfigException columns = assertThrows(ConfigException.class, () -> read(CorpusInput.of(csv.toString())));
        assertTrue(columns.getMessage().startsWith(csv + ": line 3: expected 2 columns [id, text], found 3"),
                columns.getMessage());

        Path txt = dir.resolve("latin1.txt");
        Files.write(txt, "fine\nalso fine\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        ConfigException utf8 = assertThrows(ConfigException.class, () -> read(CorpusInput.of(txt.toString())));
        assertTrue(utf8.getMessage().startsWith(txt + ": line 3: invalid UTF-8"), utf8.getMessage());

        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "");
        ConfigException e = assertThrows(ConfigException.class, () -> read(CorpusInput.of(empty.toString())));
        assertTrue(e.getMessage().startsWith(empty + ": the file is empty"), e.getMessage());
        Path emptyArrow = Files.writeString(dir.resolve("empty.arrow"), "");
        assertThrows(ConfigException.class, () -> read(CorpusInput.of(emptyArrow.toString())));
    }

    @Test
    void fingerprintFollowsContentAndSettings() throws Exception {
        Path f = Files.writeString(dir.resolve("a.jsonl"), "{\"text\": \"a\", \"body\": \"b\"}\n");
        String text = Corpus.of("k", List.of(CorpusInput.of(f.toString()))).contentHash();
        String body = Corpus.of("k", List.of(input(f, null, "body", null, null))).contentHash();
        assertNotEquals(text, body);
        assertEquals(text, Corpus.of("k", List.of(CorpusInput.of(f.toString()))).contentHash());
        Files.writeString(f, "{\"text\": \"a!\", \"body\": \"b\"}\n");
        assertNotEquals(text, Corpus.of("k", List.of(CorpusInput.of(f.toString()))).contentHash());
    }
}
