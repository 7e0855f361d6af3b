package io.encoder4j.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.training.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/encoder4j prepare} end to end on a slice of the project's own quickstart text. */
class PrepareCommandTest {

    @TempDir
    Path dir;

    private int run(StringWriter out, StringWriter err, String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void preparesOnceThenReusesAndReportsBadKeysAsOneLine() throws Exception {
        Path text = Files.writeString(dir.resolve("corpus.txt"),
                Files.readString(Path.of("../examples/data/quickstart/us-inaugural-addresses.txt")).substring(0, 40_000));
        Path job = Files.writeString(dir.resolve("prepare.yaml"), String.join("\n",
                "data:",
                "  corpus: [" + text + "]",
                "  tokenizer: {vocab_size: 400, min_frequency: 2}",
                "  seq_length: 64",
                "  cache_dir: " + dir.resolve("cache"),
                ""));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, run(out, err, "prepare", job.toString()), err.toString());
        assertTrue(out.toString().startsWith("prepared " + dir.resolve("cache")), out.toString());
        assertTrue(out.toString().contains("packing group_texts, seq_length 64"), out.toString());

        StringWriter again = new StringWriter();
        assertEquals(0, run(again, err, "prepare", job.toString()));
        assertTrue(again.toString().startsWith("reused "), again.toString());

        StringWriter bad = new StringWriter();
        assertEquals(2, run(new StringWriter(), bad, "prepare", job.toString(), "data.seq_lenght=32"));
        assertTrue(bad.toString().startsWith("error: " + job), bad.toString());
        assertTrue(bad.toString().contains("seq_lenght"), bad.toString());
        assertEquals(1, bad.toString().strip().lines().count(), bad.toString());
    }
}
