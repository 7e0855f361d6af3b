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
    @Test
    void aListNamesDevicesForDataParallelism() throws Exception {
        assertEquals(List.of(Device.gpu(0), Device.gpu(1)), DeviceSelection.resolveAll("training.device",
                "gpu:0,gpu:1", 2));
        assertEquals(List.of(Device.cpu(), Device.cpu()), DeviceSelection.resolveAll("training.device", "cpu,cpu", 0));
        assertEquals(Device.gpu(1), DeviceSelection.resolve("training.device", "gpu:1,gpu:0", 2));
        ConfigException missing = assertThrows(ConfigException.class,
                () -> DeviceSelection.resolveAll("training.device", "gpu:0,gpu:3", 2));
        assertEquals("training.device: 'gpu:3' in [gpu:0, gpu:3] asks for GPU 3, but the PyTorch engine sees 2 "
                + "(gpu:0 to gpu:1)", missing.getMessage());
        ConfigException none = assertThrows(ConfigException.class,
                () -> DeviceSelection.resolveAll("training.device", "gpu:0,gpu:1", 0));
        assertEquals("training.device: 'gpu:0' in [gpu:0, gpu:1] asks for a GPU, but the PyTorch engine sees none on "
                + "this machine (CPU-only natives, or no CUDA device); use training.device=cpu or auto",
                none.getMessage());

        // Loaded from YAML, a list is held comma-joined and written back as a list.
        Path file = Files.writeString(dir.resolve("list.yaml"), "device: [gpu:0, gpu:1]\n");
        TrainingConfig loaded = ConfigLoader.load(file, TrainingConfig.class, List.of());
        assertEquals("gpu:0,gpu:1", loaded.device());
        String yaml = ConfigLoader.toYaml(loaded);
        assertTrue(yaml.contains("device:\n- gpu:0\n- gpu:1\n"), yaml);
        Path again = Files.writeString(dir.resolve("again.yaml"), yaml);
        assertEquals(loaded, ConfigLoader.load(again, TrainingConfig.class, List.of()));
        assertEquals("cpu,cpu", ConfigLoader.load(file, TrainingConfig.class, List.of("device=[cpu,cpu]")).device());
    }

    @Test
    void aBadListIsOneLineNamingTheKey() throws Exception {
        assertEquals("line 1: device: gpu:0 is listed twice in [gpu:0, gpu:1, gpu:0]",
                loadError("device: [gpu:0, gpu:1, gpu:0]\n"));
        assertEquals("line 1: device: an empty list names no device; write auto, cpu, gpu, gpu:N or a list such as "
                + "[gpu:0, gpu:1]", loadError("device: []\n"));
        assertEquals("line 1: device: a list is either GPUs (gpu:N, each once) or CPU replicas (cpu, for tests), not "
                + "both, got [gpu:0, cpu]", loadError("device: [gpu:0, cpu]\n"));
        assertEquals("line 1: device: a list names each device as gpu:N (or cpu), got 'auto' in [auto, gpu:1]",
                loadError("device: [auto, gpu:1]\n"));
        ConfigException single = assertThrows(ConfigException.class,
                () -> DeviceSelection.resolveSingle("training.device", "cpu,cpu", "fine-tuning"));
        assertEquals("training.device: fine-tuning trains on one device; a list of devices (data parallelism) is "
                + "implemented for masked-LM pretraining, got [cpu, cpu]", single.getMessage());
        assertEquals(Device.cpu(), DeviceSelection.resolveSingle("training.device", "cpu", "fine-tuning"));
    }

    private String loadError(String yaml) throws Exception {
        Path file = Files.writeString(dir.resolve("bad.yaml"), yaml);
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file, TrainingConfig.class, List.of()));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        return e.getMessage().substring((file + ": ").length());
    }
}
