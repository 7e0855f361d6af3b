package io.encoder4j.models.interop;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors, "Format"): an unsigned 64-bit
 * little-endian header length N, N bytes of a UTF-8 JSON object {@code {name: {"dtype", "shape", "data_offsets":
 * [begin, end]}, "__metadata__": {string: string}}} (which writers pad with spaces so that the data starts at a
 * multiple of 8), then the byte buffer, every tensor little-endian and row-major at its offsets relative to the start
 * of the buffer.
 *
 * <p>Reading validates what the specification requires and names the tensor and file in every error: a header that
 * claims more bytes than the file holds, a header that is not a JSON object, an unknown dtype, a shape whose byte
 * size is not the span of its offsets, offsets that overlap, fall outside the buffer or leave holes in it (the
 * specification forbids holes so that a file cannot hide other content), duplicate names, and a buffer longer or
 * shorter than the tensors it indexes (a truncated file).
 *
 * <p>DJL's own safetensors encoder pads nothing and writes no {@code __metadata__}, which {@code transformers}
 * requires ({@code {"format": "pt"}}): this writer does both.
 */
public final class Safetensors {

    /** The name of the metadata entry of the header. */
    public static final String METADATA = "__metadata__";
    /** The specification's limit on the header, which keeps a corrupt length from allocating gigabytes. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Safetensors() {}

    /** The element types of the specification, with their sizes in bytes. */
    public enum Dtype {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4),
        F64(8), I64(8), U64(8);

        private final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }

        static Dtype parse(String name) {
            for (Dtype d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
            return null;
        }
    }

    /**
     * One tensor: its element type, shape and raw little-endian bytes.
     *
     * @param data exactly {@code numel(shape) * dtype.bytes()} bytes, position 0; never modified here
     */
    public record Tensor(Dtype dtype, long[] shape, ByteBuffer data) {

        /** A float32 tensor holding {@code values} (copied). */
        public static Tensor f32(long[] shape, float[] values) {
            checkCount(shape, values.length);
            ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            buffer.asFloatBuffer().put(values);
            return new Tensor(Dtype.F32, shape.clone(), buffer);
        }

        /** An int64 tensor holding {@code values} (copied). */
        public static Tensor i64(long[] shape, long[] values) {
            checkCount(shape, values.length);
            ByteBuffer buffer = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            buffer.asLongBuffer().put(values);
            return new Tensor(Dtype.I64, shape.clone(), buffer);
        }

        public long numel() {
            return Safetensors.numel(shape);
        }

        /**
         * The values as float32: F32 as stored, F16 and BF16 widened exactly (every half and bfloat16 value is a
         * float32 value), F64 rounded to nearest. BF16 is converted here because DJL 0.35.1 aborts on BF16 arrays.
         */
        public float[] toFloats() {
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int n = Math.toIntExact(numel());
            float[] out = new float[n];
            switch (dtype) {
                case F32 -> b.asFloatBuffer().get(out);
                case F64 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = (float) b.getDouble(i * 8);
                    }
                }
                case F16 -> {
                    for (int i = 0; i < n; i++) {
                        out[i] = halfToFloat(b.getShort(i * 2));
                    }
                }
                case BF16 -> {
                    for (int i = 0; i < n; i++) {
                        // bfloat16 is the upper half of a float32.
                        out[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
                    }
                }
                default -> throw new IllegalStateException("tensor of dtype " + dtype
                        + " cannot be read as floating point (expected F32, F16, BF16 or F64)");
            }
            return out;
        }

        /** The values as int64 (I64, I32, I16, I8, U8 and BOOL widen exactly). */
        public long[] toLongs() {
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int n = Math.toIntExact(numel());
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = switch (dtype) {
                    case I64 -> b.getLong(i * 8);
                    case I32 -> b.getInt(i * 4);
                    case I16 -> b.getShort(i * 2);
                    case I8 -> b.get(i);
                    case U8, BOOL -> b.get(i) & 0xff;
                    default -> throw new IllegalStateException("tensor of dtype " + dtype
                            + " cannot be read as integers");
                };
            }
            return out;
        }

        private static void checkCount(long[] shape, int count) {
            if (Safetensors.numel(shape) != count) {
                throw new IllegalArgumentException("shape " + java.util.Arrays.toString(shape) + " holds "
                        + Safetensors.numel(shape) + " values, got " + count);
            }
        }
    }

    /**
     * The contents of a file: tensors in header order and the {@code __metadata__} map (empty when absent).
     */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    /** IEEE 754 binary16 to float32 (exact): Java 17 has no {@code Float.float16ToFloat}. */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            // Infinity or NaN: keep the payload.
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact in float32.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Reads and validates a whole file.
     *
     * @throws ConfigException naming the file (and the tensor) when the file does not follow the format
     */
    public static Contents read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": not found");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw new ConfigException(file + ": truncated safetensors file: " + size
                        + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 0 || headerLength > size - 8) {
                throw new ConfigException(file + ": the header claims " + Long.toUnsignedString(headerLength)
                        + " bytes but the file holds only " + (size - 8) + " after the 8-byte length (truncated or "
                        + "not a safetensors file)");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new ConfigException(file + ": header of " + headerLength + " bytes exceeds the format's "
                        + "limit of " + MAX_HEADER_BYTES);
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            long dataStart = 8 + headerLength;
            long dataLength = size - dataStart;
            LinkedHashMap<String, Entry> entries = parseHeader(file, headerBytes.array());
            Map<String, String> metadata = metadataOf(file, headerBytes.array());
            checkOffsets(file, entries, dataLength);
            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, Entry> e : entries.entrySet()) {
                Entry en = e.getValue();
                ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(en.end - en.begin))
                        .order(ByteOrder.LITTLE_ENDIAN);
                readFully(channel, data, dataStart + en.begin);
                data.position(0);
                tensors.put(e.getKey(), new Tensor(en.dtype, en.shape, data));
            }
            return new Contents(Collections.unmodifiableMap(tensors), metadata);
        }
    }

    private record Entry(Dtype dtype, long[] shape, long begin, long end) {}

    private static LinkedHashMap<String, Entry> parseHeader(Path file, byte[] header) {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (IOException e) {
            throw new ConfigException(file + ": the safetensors header is not valid JSON: "
                    + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(file + ": the safetensors header is not a JSON object");
        }
        LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String name = f.getKey();
            if (name.equals(METADATA)) {
                continue;
            }
            JsonNode t = f.getValue();
            String where = file + ": tensor '" + name + "': ";
            if (!t.isObject()) {
                throw new ConfigException(where + "header entry is not an object");
            }
            for (String key : List.of("dtype", "shape", "data_offsets")) {
                if (!t.has(key)) {
                    throw new ConfigException(where + "header entry lacks '" + key + "'");
                }
            }
            Iterator<String> keys = t.fieldNames();
            while (keys.hasNext()) {
                String key = keys.next();
                if (!List.of("dtype", "shape", "data_offsets").contains(key)) {
                    throw new ConfigException(where + "unknown header field '" + key + "'");
                }
            }
            Dtype dtype = t.get("dtype").isTextual() ? Dtype.parse(t.get("dtype").asText()) : null;
            if (dtype == null) {
                throw new ConfigException(where + "unknown dtype " + t.get("dtype") + " (the format defines "
                        + java.util.Arrays.toString(Dtype.values()) + ")");
            }
            JsonNode shapeNode = t.get("shape");
            if (!shapeNode.isArray()) {
                throw new ConfigException(where + "shape is not an array");
            }
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || d.asLong() < 0) {
                    throw new ConfigException(where + "shape " + shapeNode + " is not a list of non-negative "
                            + "integers");
                }
                shape[i] = d.asLong();
            }
            JsonNode offsets = t.get("data_offsets");
            if (!offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber()
                    || !offsets.get(1).isIntegralNumber() || offsets.get(0).asLong() < 0
                    || offsets.get(1).asLong() < offsets.get(0).asLong()) {
                throw new ConfigException(where + "data_offsets " + offsets + " is not [begin, end] with "
                        + "0 <= begin <= end");
            }
            long begin = offsets.get(0).asLong();
            long end = offsets.get(1).asLong();
            long expected;
            try {
                expected = Math.multiplyExact(numel(shape), dtype.bytes());
            } catch (ArithmeticException e) {
                throw new ConfigException(where + "shape " + shapeNode + " overflows", e);
            }
            if (end - begin != expected) {
                throw new ConfigException(where + "data_offsets " + offsets + " span " + (end - begin)
                        + " bytes but " + dtype + " " + shapeNode + " needs " + expected);
            }
            entries.put(name, new Entry(dtype, shape, begin, end));
        }
        return entries;
    }

    private static Map<String, String> metadataOf(Path file, byte[] header) throws IOException {
        JsonNode root = JSON.readTree(header);
        JsonNode meta = root.get(METADATA);
        if (meta == null) {
            return Map.of();
        }
        if (!meta.isObject()) {
            throw new ConfigException(file + ": " + METADATA + " is not a JSON object");
        }
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = meta.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (!f.getValue().isTextual()) {
                throw new ConfigException(file + ": " + METADATA + "." + f.getKey() + " is not a string");
            }
            out.put(f.getKey(), f.getValue().asText());
        }
        return Collections.unmodifiableMap(out);
    }

    /** The spans of the tensors must tile [0, dataLength) exactly: no overlap, no hole, nothing outside. */
    private static void checkOffsets(Path file, Map<String, Entry> entries, long dataLength) {
        List<Map.Entry<String, Entry>> sorted = new ArrayList<>(entries.entrySet());
        sorted.sort((a, b) -> a.getValue().begin != b.getValue().begin
                ? Long.compare(a.getValue().begin, b.getValue().begin)
                : Long.compare(a.getValue().end, b.getValue().end));
        long covered = 0;
        String previous = null;
        for (Map.Entry<String, Entry> e : sorted) {
            Entry en = e.getValue();
            String where = file + ": tensor '" + e.getKey() + "': ";
            if (en.end > dataLength) {
                throw new ConfigException(where + "data_offsets [" + en.begin + ", " + en.end + "] extend past the "
                        + "end of the data (" + dataLength + " bytes): the file is truncated");
            }
            if (en.begin < covered) {
                throw new ConfigException(where + "data_offsets [" + en.begin + ", " + en.end + "] overlap tensor '"
                        + previous + "'");
            }
            if (en.begin > covered) {
                throw new ConfigException(where + "data_offsets [" + en.begin + ", " + en.end + "] leave a hole of "
                        + (en.begin - covered) + " bytes before it (the format requires the buffer to be fully "
                        + "indexed)");
            }
            covered = en.end;
            previous = e.getKey();
        }
        if (covered != dataLength) {
            throw new ConfigException(file + ": " + (dataLength - covered) + " bytes after the last tensor"
                    + (previous == null ? "" : " '" + previous + "'") + " are not indexed by the header (the format "
                    + "requires the buffer to be fully indexed)");
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + at);
            }
            at += n;
        }
    }

    /**
     * The bytes of a file holding {@code tensors} in the given order, contiguous from offset 0, with
     * {@code metadata} (written first; may be empty) and the header padded with spaces to a multiple of 8.
     */
    public static byte[] encodeHeader(Map<String, Tensor> tensors, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                throw new IllegalArgumentException("a tensor cannot be named " + METADATA);
            }
            Tensor t = e.getValue();
            long bytes = t.numel() * t.dtype().bytes();
            if (t.data().remaining() != bytes) {
                throw new IllegalArgumentException("tensor '" + e.getKey() + "' has " + t.data().remaining()
                        + " bytes of data for " + t.dtype() + " " + java.util.Arrays.toString(t.shape()));
            }
            ObjectNode entry = root.putObject(e.getKey());
            entry.put("dtype", t.dtype().name());
            var shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            var offsets = entry.putArray("data_offsets");
            offsets.add(offset);
            offsets.add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        java.util.Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    /** Writes {@code tensors} to {@code file} through a temporary file renamed into place. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        byte[] header = encodeHeader(tensors, metadata);
        Path parent = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp))) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                length.putLong(header.length);
                out.write(length.array());
                out.write(header);
                for (Tensor t : tensors.values()) {
                    ByteBuffer data = t.data().duplicate();
                    if (data.hasArray()) {
                        out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
                    } else {
                        byte[] copy = new byte[data.remaining()];
                        data.get(copy);
                        out.write(copy);
                    }
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
