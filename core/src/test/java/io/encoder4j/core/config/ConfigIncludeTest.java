package io.encoder4j.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code include:}: deep merge, precedence, relative resolution, and errors that name the file and line. */
class ConfigIncludeTest {

    record Model(Integer width, Integer depth, List<String> tags) {
        Model {
            width = width == null ? 8 : width;
            depth = depth == null ? 1 : depth;
            tags = tags == null ? List.of() : tags;
            Checks.positive("width", width);
        }
    }

    record Data(String path, Integer length) {}

    record Job(String name, Model model, Data data) {}

    @TempDir
    Path dir;

    private Path write(String name, String yaml) throws Exception {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, yaml);
    }

    @Test
    void includedFilesAreDeepMergedAndTheIncludingFileWins() throws Exception {
        write("presets/models/small.yaml", "model:\n  width: 16\n  depth: 4\n  tags: [a, b]\n");
        write("presets/data.yaml", "data:\n  path: corpus.txt\n  length: 128\nmodel:\n  depth: 2\n");
        Path job = write("jobs/job.yaml", "include: [../presets/models/small.yaml, ../presets/data.yaml]\n"
                + "name: demo\nmodel:\n  width: 32\n  tags: [c]\n");
        Job loaded = ConfigLoader.load(job, Job.class, List.of("data.length=64"));
        assertEquals("demo", loaded.name());
        // width from the job, depth from the later include (data.yaml wins over small.yaml), lists replaced whole.
        assertEquals(new Model(32, 2, List.of("c")), loaded.model());
        assertEquals(new Data("corpus.txt", 64), loaded.data());
    }

    @Test
    void includesNestAndASingleStringIsAccepted() throws Exception {
        write("a/base.yaml", "model: {width: 4, depth: 3}\n");
        write("a/mid.yaml", "include: base.yaml\nmodel: {depth: 5}\n");
        Path job = write("job.yaml", "include: a/mid.yaml\nname: nested\n");
        assertEquals(new Model(4, 5, List.of()), ConfigLoader.load(job, Job.class, List.of()).model());
    }

    @Test
    void anErrorInAnIncludedFileNamesThatFileAndLine() throws Exception {
        Path preset = write("presets/model.yaml", "model:\n  width: 16\n  detph: 4\n");
        Path job = write("job.yaml", "include: presets/model.yaml\nname: demo\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(job, Job.class, List.of()));
        assertTrue(e.getMessage().startsWith(preset + " (included by " + job + "): line 3: unknown key 'model.detph' "
                + "(did you mean 'depth'?)"), e.getMessage());

        // A bad value: named where the winning value is written.
        write("presets/zero.yaml", "model:\n  width: 0\n");
        Path overriding = write("job2.yaml", "include: presets/zero.yaml\nmodel:\n  depth: 2\n");
        ConfigException zero = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(overriding, Job.class, List.of()));
        assertTrue(zero.getMessage().startsWith(dir.resolve("presets/zero.yaml") + " (included by " + overriding
                + "): line 2: model.width must be a positive integer"), zero.getMessage());
        Path fixed = write("job3.yaml", "include: presets/zero.yaml\nmodel:\n  width: -1\n");
        ConfigException own = assertThrows(ConfigException.class, () -> ConfigLoader.load(fixed, Job.class, List.of()));
        assertTrue(own.getMessage().startsWith(fixed + ": line 3: model.width must be a positive integer, got -1"),
                own.getMessage());
    }

    @Test
    void missingIncludesAndCyclesAreOneLine() throws Exception {
        Path job = write("job.yaml", "name: x\ninclude: [nope.yaml]\n");
        ConfigException missing = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(job, Job.class, List.of()));
        assertEquals(job + ": line 2: included file 'nope.yaml' not found (looked for " + dir.resolve("nope.yaml")
                + ", relative to the including file)", missing.getMessage());

        write("x.yaml", "include: y.yaml\n");
        write("y.yaml", "include: x.yaml\n");
        Path cyclic = write("c.yaml", "include: x.yaml\n");
        ConfigException cycle = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(cyclic, Job.class, List.of()));
        assertTrue(cycle.getMessage().endsWith("include cycle: " + dir.resolve("x.yaml") + " -> "
                + dir.resolve("y.yaml") + " -> " + dir.resolve("x.yaml")), cycle.getMessage());
        assertEquals(1, cycle.getMessage().lines().count());

        Path notAPath = write("bad.yaml", "include: {model: 1}\n");
        ConfigException bad = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(notAPath, Job.class, List.of()));
        assertTrue(bad.getMessage().startsWith(notAPath + ": line 1: include must be a file path or a list"),
                bad.getMessage());
    }

    @Test
    void composedTreeHasNoIncludeKey() throws Exception {
        write("m.yaml", "model: {width: 2}\n");
        Path job = write("j.yaml", "include: m.yaml\nname: t\n");
        assertEquals("{\"model\":{\"width\":2},\"name\":\"t\"}", ConfigLoader.composedTree(job).toString());
    }
}
