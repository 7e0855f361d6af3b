package io.encoder4j.training.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingConfigTest {

    @TempDir
    Path dir;

    private TrainingConfig load(String yaml) throws Exception {
        return ConfigLoader.load(Files.writeString(dir.resolve("t.yaml"), yaml), TrainingConfig.class, List.of());
    }

    private String error(String yaml) {
        return assertThrows(ConfigException.class, () -> load(yaml)).getMessage()
                .replace(dir.resolve("t.yaml").toString(), "t.yaml");
    }

    @Test
    void defaults() throws Exception {
        TrainingConfig c = load("max_steps: 1000\neval_every: 250\n");
        assertEquals("linear", c.schedule());
        assertEquals(50, c.warmupSteps());
        assertEquals(250, c.saveEvery());
        assertEquals(2, c.saveTotalLimit());
        assertNull(c.decaySteps());
        assertEquals("auto", c.device());
        assertEquals(100, load("max_steps: 1000\nschedule: warmup_stable_decay\n").decaySteps());
    }

    @Test
    void scheduleSettingsAreChecked() throws Exception {
        assertEquals("t.yaml: line 1: schedule: unknown schedule 'cosin' (did you mean 'cosine'?); known: linear, "
                + "cosine, constant, warmup_stable_decay", error("schedule: cosin\n"));
        assertEquals("t.yaml: line 2: decay_steps is only used by schedule warmup_stable_decay, not by cosine",
                error("schedule: cosine\ndecay_steps: 10\n"));
        assertEquals("t.yaml: line 3: decay_steps 105 is more than max_steps 100", error("max_steps: 100\n"
                + "warmup_steps: 10\ndecay_steps: 105\nschedule: warmup_stable_decay\n"));
        // A warm-up longer than the run is allowed (a short trial of a long job): the peak is never reached.
        assertEquals(200, load("max_steps: 100\nwarmup_steps: 200\n").warmupSteps());
        assertEquals("t.yaml: line 1: min_lr_ratio must be in [0, 1], got 1.5", error("min_lr_ratio: 1.5\n"));
    }
}
