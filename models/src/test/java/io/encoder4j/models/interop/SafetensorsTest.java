package io.encoder4j.models.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors format against its specification and against a file written by the Python library. */
class SafetensorsTest {

    @TempDir
    Path tmp;

    static Path resource(String name) throws Exception {
        return Path.of(SafetensorsTest.class.getResource("/hf/" + name).toURI());
    }

    @Test
    void readsTheFileThePythonLibraryWrote() throws Exception {
        Safetensors.Contents contents = Safetensors.read(resource("spec/tiny.safetensors"));
        JsonNode expected = new ObjectMapper().readTree(resource("spec/tiny.json").toFile());
        assertEquals(Map.of("format", "pt", "note", "encoder4j fixture"), contents.metadata());
        Map<String, Safetensors.Dtype> dtypes = Map.of("f32", Safetensors.Dtype.F32, "f16", Safetensors.Dtype.F16,
                "bf16", Safetensors.Dtype.BF16, "i64", Safetensors.Dtype.I64, "scalar", Safetensors.Dtype.F32);
        assertEquals(dtypes.keySet(), contents.tensors().keySet());
        Iterator<Map.Entry<String, JsonNode>> it = expected.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            Safetensors.Tensor t = contents.tensors().get(e.getKey());
            assertEquals(dtypes.get(e.getKey()), t.dtype(), e.getKey());
            long[] shape = new long[e.getValue().get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = e.getValue().get("shape").get(i).asLong();
            }
            assertArrayEquals(shape, t.shape(), e.getKey());
            JsonNode values = e.getValue().get("values");
            if (t.dtype() == Safetensors.Dtype.I64) {
                long[] longs = t.toLongs();
                for (int i = 0; i < longs.length; i++) {
                    assertEquals(values.get(i).asLong(), longs[i], e.getKey() + "[" + i + "]");
                }
            } else {
                float[] floats = t.toFloats();
                assertEquals(values.size(), floats.length);
                for (int i = 0; i < floats.length; i++) {
                    // Widening F16/BF16 to float32 is exact: compare bit patterns (this also checks -0.0).
                    assertEquals(Float.floatToIntBits((float) values.get(i).asDouble()),
                            Float.floatToIntBits(floats[i]), e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    @Test
    void halfToFloatIsExactForEveryBitPattern() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int sign = (bits & 0x8000) != 0 ? -1 : 1;
            int exponent = (bits >>> 10) & 0x1f;
            int mantissa = bits & 0x3ff;
            float actual = Safetensors.halfToFloat((short) bits);
            if (exponent == 0x1f) {
                assertTrue(mantissa == 0 ? Float.isInfinite(actual) && Math.signum(actual) == sign
                        : Float.isNaN(actual), Integer.toHexString(bits));
                continue;
            }
            double magnitude = exponent == 0 ? mantissa * Math.pow(2, -24)
                    : (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
            double expected = Math.copySign(magnitude, sign);
            assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(actual),
                    Integer.toHexString(bits));
        }
    }

    @Test
    void writerFollowsTheSpecification() throws Exception {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a.weight", Safetensors.Tensor.f32(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, -6.5f}));
        tensors.put("b", Safetensors.Tensor.i64(new long[] {3}, new long[] {-1, 0, Long.MAX_VALUE}));
        tensors.put("c", Safetensors.Tensor.f32(new long[] {}, new float[] {0.25f}));
        Path file = tmp.resolve("w.safetensors");
        Safetensors.write(file, tensors, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{"));
        String json = header.stripTrailing();
        assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        JsonNode root = new ObjectMapper().readTree(json);
        assertEquals("pt", root.get("__metadata__").get("format").asText());
        assertEquals("[0,24]", root.get("a.weight").get("data_offsets").toString());
        assertEquals("[24,48]", root.get("b").get("data_offsets").toString());
        assertEquals("[48,52]", root.get("c").get("data_offsets").toString());
        assertEquals("\"F32\"", root.get("a.weight").get("dtype").toString());
        assertEquals("[2,3]", root.get("a.weight").get("shape").toString());
        assertEquals("[]", root.get("c").get("shape").toString());
        assertEquals(8 + n + 52, bytes.length);
        assertEquals(-6.5f, b.getFloat((int) (8 + n + 20)));
        assertEquals(Long.MAX_VALUE, b.getLong((int) (8 + n + 24 + 16)));

        Safetensors.Contents back = Safetensors.read(file);
        assertEquals(List.of("a.weight", "b", "c"), List.copyOf(back.tensors().keySet()));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, -6.5f}, back.tensors().get("a.weight").toFloats());
        assertArrayEquals(new long[] {-1, 0, Long.MAX_VALUE}, back.tensors().get("b").toLongs());
        assertArrayEquals(new float[] {0.25f}, back.tensors().get("c").toFloats());
    }

    /** A file built byte by byte: the 8-byte length, the header text as given (unpadded), then the data. */
    private Path handBuilt(String header, int dataBytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.write(h);
        out.write(new byte[dataBytes]);
        Path file = tmp.resolve("hand.safetensors");
        Files.write(file, out.toByteArray());
        return file;
    }

    @Test
    void acceptsAHandBuiltFileWithoutPaddingOrMetadata() throws Exception {
        Path file = handBuilt("{\"x\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"y\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[4,6]}}", 6);
        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(Map.of(), c.metadata());
        assertArrayEquals(new float[] {0, 0}, c.tensors().get("x").toFloats());
        assertArrayEquals(new long[] {1, 1}, c.tensors().get("y").shape());
    }

    private void assertRejected(Path file, String... fragments) {
        ConfigException e = assertThrows(ConfigException.class, () -> Safetensors.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' not in: " + e.getMessage());
        }
    }

    @Test
    void rejectsMalformedFilesNamingTheTensor() throws Exception {
        String good = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
        // Data cut short: the tensor's offsets run past the end of the file.
        assertRejected(handBuilt(good, 12), "'w'", "truncated");
        // Bytes after the last tensor that no tensor indexes.
        assertRejected(handBuilt(good, 20), "not indexed");
        // Unknown dtype.
        assertRejected(handBuilt(good.replace("F32", "F31"), 16), "'w'", "unknown dtype");
        // Shape and offsets disagree.
        assertRejected(handBuilt(good.replace("[2,2]", "[2,3]"), 16), "'w'", "needs 24");
        // Overlapping tensors.
        assertRejected(handBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "'b'", "overlap", "'a'");
        // A hole between tensors.
        assertRejected(handBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12), "'b'", "hole");
        // Offsets reversed.
        assertRejected(handBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4), "'a'",
                "data_offsets");
        // Duplicate names are invalid JSON for the format.
        assertRejected(handBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "Duplicate");
        // A missing field and an unknown one.
        assertRejected(handBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "'a'", "data_offsets");
        assertRejected(handBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4),
                "'a'", "'x'");
        // Negative dimension; header not an object; not JSON.
        assertRejected(handBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "'a'",
                "shape");
        assertRejected(handBuilt("[1,2]", 0), "not a JSON object");
        assertRejected(handBuilt("{\"a\":", 0), "not valid JSON");
        assertRejected(handBuilt("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__.k");
    }

    @Test
    void rejectsAHeaderLengthBeyondTheFile() throws Exception {
        Path file = tmp.resolve("claims.safetensors");
        byte[] header = "{}      ".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1000).put(header);
        Files.write(file, b.array());
        assertRejected(file, "claims 1000 bytes", "holds only 8");
        // A length with the top bit set (negative as a Java long) is just as impossible.
        b.putLong(0, -5L);
        Files.write(file, b.array());
        assertRejected(file, "claims 18446744073709551611 bytes");
        Files.write(file, new byte[] {1, 2, 3});
        assertRejected(file, "shorter than the 8-byte header length");
    }

    @Test
    void truncatingARealFileAnywhereIsAnError() throws Exception {
        byte[] bytes = Files.readAllBytes(resource("spec/tiny.safetensors"));
        for (int cut : new int[] {0, 4, 8, 20, bytes.length / 2, bytes.length - 1}) {
            Path file = tmp.resolve("cut" + cut + ".safetensors");
            Files.write(file, Arrays.copyOf(bytes, cut));
            assertThrows(ConfigException.class, () -> Safetensors.read(file), "cut at " + cut);
        }
    }
}
