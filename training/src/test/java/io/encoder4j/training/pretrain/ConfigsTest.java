package io.encoder4j.training.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.encoder4j.core.config.ConfigLoader;
import io.encoder4j.datasets.prepare.PrepareJobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every job file and model preset under configs/ loads and validates. */
class ConfigsTest {

    @TempDir
    Path dir;

    static Path configs() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("configs/quickstart.yaml"))) {
                return d.resolve("configs");
            }
        }
        throw new IllegalStateException("configs/ not found above " + Path.of("").toAbsolutePath());
    }

    private static List<Path> yaml(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void jobFilesLoad() throws Exception {
        List<Path> jobs = yaml(configs());
        assertFalse(jobs.isEmpty());
        for (Path job : jobs) {
            // The file name says which command runs it.
            String name = job.getFileName().toString();
            Class<?> type = name.startsWith("finetune-") ? io.encoder4j.training.finetune.FinetuneJobConfig.class
                    : name.startsWith("prepare-") ? PrepareJobConfig.class
                    : PretrainJobConfig.class;
            ConfigLoader.load(job, type, List.of());
        }
        PretrainJobConfig composed = ConfigLoader.load(configs().resolve("pretrain-roberta-base.yaml"),
                PretrainJobConfig.class, List.of());
        assertEquals(768, composed.model().hiddenSize());
        assertEquals(12, composed.model().numLayers());
    }

    @Test
    void modelPresetsLoadIntoAJob() throws Exception {
        for (Path preset : yaml(configs().resolve("models"))) {
            Path job = Files.writeString(dir.resolve("job.yaml"), "include: " + preset + "\ndata: {seq_length: 1024}\n");
            ConfigLoader.load(job, PretrainJobConfig.class, List.of());
        }
    }
}
