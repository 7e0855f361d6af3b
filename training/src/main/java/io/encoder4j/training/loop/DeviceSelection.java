package io.encoder4j.training.loop;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.encoder4j.core.config.ConfigException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code training.device}: which DJL device a job's model, data and optimizer state live on. {@code auto} takes
 * PyTorch's default device (GPU 0 when the engine was loaded with CUDA and a GPU is visible, else the CPU);
 * {@code gpu} and {@code gpu:N} insist on a GPU and fail with one line naming the key when there is none.
 */
public final class DeviceSelection {

    public static final String AUTO = "auto";
    private static final Pattern SYNTAX = Pattern.compile("auto|cpu|gpu(?::(\\d+))?");

    private DeviceSelection() {}

    /** Validation when the config is loaded: the value's form only (no engine is touched). */
    static void checkSyntax(String device) {
        if (!SYNTAX.matcher(device).matches()) {
            throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N, got '" + device + "'");
        }
    }

    /** The device {@code value} names, on this machine; {@code key} is the config key for messages. */
    public static Device resolve(String key, String value) {
        return resolve(key, value, Engine.getInstance().getGpuCount());
    }

    /** As {@link #resolve(String, String)} with the number of visible GPUs given (for tests). */
    static Device resolve(String key, String value, int gpus) {
        Matcher m = SYNTAX.matcher(value);
        if (!m.matches()) {
            throw new ConfigException(key + ": must be auto, cpu, gpu or gpu:N, got '" + value + "'");
        }
        if (value.equals("cpu")) {
            return Device.cpu();
        }
        if (value.equals(AUTO)) {
            return gpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        int index = m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
        if (gpus == 0) {
            throw new ConfigException(key + ": '" + value + "' asks for a GPU, but the PyTorch engine sees none on "
                    + "this machine (CPU-only natives, or no CUDA device); use " + key + "=cpu or auto");
        }
        if (index >= gpus) {
            throw new ConfigException(key + ": '" + value + "' asks for GPU " + index + ", but the PyTorch engine sees "
                    + gpus + " (gpu:0" + (gpus > 1 ? " to gpu:" + (gpus - 1) : "") + ")");
        }
        return Device.gpu(index);
    }
}
