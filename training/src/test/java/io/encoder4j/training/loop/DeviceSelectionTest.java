package io.encoder4j.training.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.core.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceSelectionTest {

    @TempDir
    Path dir;

    @Test
    void namesResolveAgainstTheVisibleGpus() {
        assertEquals(Device.cpu(), DeviceSelection.resolve("training.device", "cpu", 2));
        assertEquals(Device.cpu(), DeviceSelection.resolve("training.device", "auto", 0));
        assertEquals(Device.gpu(0), DeviceSelection.resolve("training.device", "auto", 1));
        assertEquals(Device.gpu(0), DeviceSelection.resolve("training.device", "gpu", 1));
        assertEquals(Device.gpu(1), DeviceSelection.resolve("training.device", "gpu:1", 2));
    }

    @Test
    void askingForAMissingGpuIsOneLineNamingTheKey() {
        ConfigException none = assertThrows(ConfigException.class,
                () -> DeviceSelection.resolve("training.device", "gpu", 0));
        assertEquals("training.device: 'gpu' asks for a GPU, but the PyTorch engine sees none on this machine "
                + "(CPU-only natives, or no CUDA device); use training.device=cpu or auto", none.getMessage());
        ConfigException index = assertThrows(ConfigException.class,
                () -> DeviceSelection.resolve("training.device", "gpu:2", 2));
        assertEquals("training.device: 'gpu:2' asks for GPU 2, but the PyTorch engine sees 2 (gpu:0 to gpu:1)",
                index.getMessage());
    }

    @Test
    void onThisMachineTheEngineDecides() {
        int gpus = Engine.getInstance().getGpuCount();
        if (gpus == 0) {
            assertThrows(ConfigException.class, () -> DeviceSelection.resolve("training.device", "gpu:0"));
            assertEquals(Device.cpu(), DeviceSelection.resolve("training.device", "auto"));
        } else {
            assertTrue(DeviceSelection.resolve("training.device", "auto").isGpu());
        }
    }

    @Test
    void aMalformedDeviceIsRejectedWhenTheConfigIsLoaded() throws Exception {
        Path file = Files.writeString(dir.resolve("t.yaml"), "device: cuda\n");
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file, TrainingConfig.class, List.of()));
        assertEquals(file + ": line 1: device must be auto, cpu, gpu or gpu:N, got 'cuda'", e.getMessage());
    }
}
