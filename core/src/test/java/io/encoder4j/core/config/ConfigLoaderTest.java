package io.encoder4j.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.attention.AttentionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    /** A small config shaped like a job: a section holding a nested record. */
    record Section(Integer size, Float rate, AttentionConfig attention) {
        Section {
            size = size == null ? 8 : size;
            rate = rate == null ? 0.5f : rate;
            attention = attention == null ? AttentionConfig.of("full") : attention;
            Checks.positive("size", size);
        }
    }

    record Job(String name, Section section) {
        Job {
            section = section == null ? new Section(null, null, null) : section;
        }
    }

    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("job.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void bindsValuesAndFillsDefaults() throws Exception {
        Job job = ConfigLoader.load(write("name: demo\nsection:\n  size: 3\n"), Job.class, List.of());
        assertEquals("demo", job.name());
        assertEquals(3, job.section().size());
        assertEquals(0.5f, job.section().rate());
        assertEquals("full", job.section().attention().type());
    }

    @Test
    void overridesSetFieldsByDottedPath() throws Exception {
        Job job = ConfigLoader.load(write("name: demo\nsection:\n  size: 3\n"), Job.class,
                List.of("section.size=12", "section.attention.dropout=0.25", "name=other"));
        assertEquals(12, job.section().size());
        assertEquals(0.25f, job.section().attention().dropout());
        assertEquals("other", job.name());
    }

    @Test
    void unknownKeyNamesFileLineAndSuggestion() throws Exception {
        Path file = write("name: demo\nsection:\n  size: 3\n  rat: 0.1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Job.class, List.of()));
        assertTrue(e.getMessage().startsWith(file + ": line 4: unknown key 'section.rat'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean 'rate'?"), e.getMessage());
    }

    @Test
    void wrongTypeNamesKeyAndExpectation() throws Exception {
        Path file = write("section:\n  size: many\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Job.class, List.of()));
        assertEquals(file + ": line 2: section.size: expected an integer, got 'many'", e.getMessage());
    }

    @Test
    void nonPositiveSizeIsRejectedWithItsKey() throws Exception {
        Path file = write("section:\n  size: 0\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Job.class, List.of()));
        assertTrue(e.getMessage().contains("section.size must be a positive integer, got 0"), e.getMessage());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    @Test
    void badOverrideIsReportedAsTheOverride() throws Exception {
        Path file = write("section:\n  size: 3\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file, Job.class, List.of("section.size=x")));
        assertTrue(e.getMessage().contains("override 'section.size=x'"), e.getMessage());
        ConfigException unknown = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file, Job.class, List.of("section.sise=4")));
        assertTrue(unknown.getMessage().contains("did you mean 'size'?"), unknown.getMessage());
    }

    @Test
    void unknownAttentionTypeSuggestsTheClosestName() throws Exception {
        Path file = write("section:\n  attention:\n    type: ful\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, Job.class, List.of()));
        assertTrue(e.getMessage().contains("unknown attention type 'ful' (did you mean 'full'?)"), e.getMessage());
    }

    @Test
    void missingFileAndInvalidYamlAreOneLine() throws Exception {
        ConfigException missing = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(dir.resolve("nope.yaml"), Job.class, List.of()));
        assertTrue(missing.getMessage().endsWith("nope.yaml: config file not found"));
        Path bad = write("section: [unclosed\n");
        ConfigException invalid = assertThrows(ConfigException.class, () -> ConfigLoader.load(bad, Job.class, List.of()));
        assertTrue(invalid.getMessage().contains("invalid YAML"), invalid.getMessage());
        assertEquals(1, invalid.getMessage().lines().count());
    }

    @Test
    void resolvedConfigRoundTripsThroughYaml() throws Exception {
        Job job = ConfigLoader.load(write("name: demo\n"), Job.class, List.of());
        Path again = dir.resolve("again.yaml");
        Files.writeString(again, ConfigLoader.toYaml(job));
        assertEquals(job, ConfigLoader.load(again, Job.class, List.of()));
    }
}
