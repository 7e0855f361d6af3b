package io.encoder4j.training.loop;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code training.device}: which DJL device a job's model, data and optimizer state live on. {@code auto} takes
 * PyTorch's default device (GPU 0 when the engine was loaded with CUDA and a GPU is visible, else the CPU);
 * {@code gpu} and {@code gpu:N} insist on a GPU and fail with one line naming the key when there is none.
 *
 * <p>A YAML list of devices, {@code [gpu:0, gpu:1]}, asks for data parallelism ({@link DataParallel}): the first
 * device is the primary one (model, optimizer, evaluation), every device trains on a share of each micro-batch. A
 * list names each GPU as {@code gpu:N}, once. {@code cpu} may be listed more than once: CPU replicas share the same
 * cores, so they only slow training down; they exist to test and debug data parallelism on machines without GPUs.
 * The config record holds a list comma-joined ({@code gpu:0,gpu:1}) and writes it back as a YAML list.
 */
public final class DeviceSelection {

    public static final String AUTO = "auto";
    private static final Pattern SYNTAX = Pattern.compile("auto|cpu|gpu(?::(\\d+))?");
    private static final Pattern LISTED = Pattern.compile("cpu|gpu:(\\d+)");
    /** How the record holds a list's entries. */
    static final String SEPARATOR = ",";

    private DeviceSelection() {}

    /** Whether {@code device} (as the config record holds it) is a list: data parallelism. */
    static boolean isList(String device) {
        return device.contains(SEPARATOR) || device.isEmpty();
    }

    /** Validation when the config is loaded: the value's form only (no engine is touched). */
    static void checkSyntax(String device) {
        if (!isList(device)) {
            if (!SYNTAX.matcher(device).matches()) {
                throw new IllegalArgumentException("device must be auto, cpu, gpu or gpu:N, got '" + device + "'");
            }
            return;
        }
        String shown = shown(device);
        if (device.isEmpty()) {
            throw new IllegalArgumentException("device: an empty list names no device; write auto, cpu, gpu, gpu:N "
                    + "or a list such as [gpu:0, gpu:1]");
        }
        List<String> entries = List.of(device.split(SEPARATOR, -1));
        Set<String> seen = new HashSet<>();
        boolean cpu = false;
        boolean gpu = false;
        for (String entry : entries) {
            if (!LISTED.matcher(entry).matches()) {
                throw new IllegalArgumentException("device: a list names each device as gpu:N (or cpu), got '" + entry
                        + "' in " + shown);
            }
            cpu |= entry.equals("cpu");
            gpu |= !entry.equals("cpu");
            if (!entry.equals("cpu") && !seen.add(entry)) {
                throw new IllegalArgumentException("device: " + entry + " is listed twice in " + shown);
            }
        }
        if (cpu && gpu) {
            throw new IllegalArgumentException("device: a list is either GPUs (gpu:N, each once) or CPU replicas "
                    + "(cpu, for tests), not both, got " + shown);
        }
    }

    /** {@code gpu:0,gpu:1} as the user wrote it: {@code [gpu:0, gpu:1]}. */
    static String shown(String device) {
        return "[" + String.join(", ", device.split(SEPARATOR, -1)) + "]";
    }

    /**
     * The device {@code value} names, on this machine; {@code key} is the config key for messages. For a list, its
     * first (primary) device, after every listed device was checked.
     */
    public static Device resolve(String key, String value) {
        return resolveAll(key, value).get(0);
    }

    /**
     * As {@link #resolve(String, String)} for a job that trains on one device: a list is refused in one line naming
     * {@code key}, before the job writes anything.
     */
    public static Device resolveSingle(String key, String value, String job) {
        if (isList(value) && resolveAll(key, value).size() > 1) {
            throw new ConfigException(key + ": " + job + " trains on one device; a list of devices (data "
                    + "parallelism) is implemented for masked-LM pretraining, got " + shown(value));
        }
        return resolve(key, value);
    }

    /** Every device {@code value} names, the primary one first: one device unless it is a list. */
    public static List<Device> resolveAll(String key, String value) {
        return resolveAll(key, value, Engine.getInstance().getGpuCount());
    }

    /** As {@link #resolveAll(String, String)} with the number of visible GPUs given (for tests). */
    static List<Device> resolveAll(String key, String value, int gpus) {
        if (!isList(value)) {
            return List.of(resolve(key, value, gpus));
        }
        try {
            checkSyntax(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + e.getMessage().substring("device".length()));
        }
        List<Device> devices = new ArrayList<>();
        for (String entry : value.split(SEPARATOR, -1)) {
            try {
                devices.add(resolve(key, entry, gpus));
            } catch (ConfigException e) {
                throw new ConfigException(e.getMessage().replace("'" + entry + "'",
                        "'" + entry + "' in " + shown(value)));
            }
        }
        return List.copyOf(devices);
    }

    /** As {@link #resolve(String, String)} with the number of visible GPUs given (for tests). */
    static Device resolve(String key, String value, int gpus) {
        if (isList(value)) {
            return resolveAll(key, value, gpus).get(0);
        }
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

    /** Reads {@code device} from YAML: a scalar as it is, a list of scalars comma-joined. */
    static final class Reader extends JsonDeserializer<String> {
        @Override
        public String deserialize(JsonParser p, DeserializationContext context) throws IOException {
            JsonNode node = p.readValueAsTree();
            if (node.isArray()) {
                List<String> entries = new ArrayList<>();
                for (JsonNode entry : node) {
                    if (!entry.isValueNode() || entry.isNull()) {
                        return context.reportInputMismatch(String.class, "a device list holds names such as gpu:0, "
                                + "got " + entry);
                    }
                    entries.add(entry.asText().trim());
                }
                return String.join(SEPARATOR, entries);
            }
            if (!node.isValueNode()) {
                return context.reportInputMismatch(String.class, "device is a name or a list of names, got " + node);
            }
            return node.asText();
        }
    }

    /** Writes {@code device} back: a list as a YAML list, so that a saved config reads as the user wrote it. */
    static final class Writer extends JsonSerializer<String> {
        @Override
        public void serialize(String value, JsonGenerator out, SerializerProvider provider) throws IOException {
            if (!isList(value)) {
                out.writeString(value);
                return;
            }
            String[] entries = value.split(SEPARATOR, -1);
            out.writeStartArray();
            for (String entry : entries) {
                out.writeString(entry);
            }
            out.writeEndArray();
        }
    }
}
