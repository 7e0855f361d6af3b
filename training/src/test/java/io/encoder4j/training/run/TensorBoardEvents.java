package io.encoder4j.training.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * An independent reader of TensorBoard event files for tests: checks the TFRecord framing and both CRCs of every
 * record and decodes the Event fields the writer uses.
 */
final class TensorBoardEvents {

    /** One event: scalars by tag, or the file version, or a session-log status. */
    record Event(double wallTime, long step, String fileVersion, Map<String, Float> scalars, int sessionStatus) {}

    private TensorBoardEvents() {}

    static List<Event> read(Path file) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        List<Event> events = new ArrayList<>();
        while (in.hasRemaining()) {
            byte[] header = new byte[8];
            in.get(header);
            check(header, in.getInt(), "length");
            long length = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] data = new byte[(int) length];
            in.get(data);
            check(data, in.getInt(), "data");
            events.add(parseEvent(ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN)));
        }
        return events;
    }

    static int mask(int crc) {
        // (crc >> 15 | crc << 17) + 0xa282ead8, written out as in TensorFlow's crc32c.h.
        return Integer.rotateRight(crc, 15) + 0xa282ead8;
    }

    private static void check(byte[] bytes, int stored, String what) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        if (mask((int) crc.getValue()) != stored) {
            throw new IllegalStateException("bad " + what + " CRC");
        }
    }

    private static Event parseEvent(ByteBuffer b) {
        double wall = Double.NaN;
        long step = 0;
        String version = null;
        Map<String, Float> scalars = new LinkedHashMap<>();
        int status = 0;
        while (b.hasRemaining()) {
            long key = varint(b);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            switch (field) {
                case 1 -> wall = b.getDouble();
                case 2 -> step = varint(b);
                case 3 -> version = new String(bytes(b), StandardCharsets.UTF_8);
                case 5 -> parseSummary(ByteBuffer.wrap(bytes(b)).order(ByteOrder.LITTLE_ENDIAN), scalars);
                case 7 -> {
                    ByteBuffer s = ByteBuffer.wrap(bytes(b));
                    while (s.hasRemaining()) {
                        long k = varint(s);
                        long v = varint(s);
                        if (k >>> 3 == 1) {
                            status = (int) v;
                        }
                    }
                }
                default -> throw new IllegalStateException("unexpected field " + field + " wire type " + wire);
            }
        }
        return new Event(wall, step, version, scalars, status);
    }

    private static void parseSummary(ByteBuffer b, Map<String, Float> scalars) {
        while (b.hasRemaining()) {
            long key = varint(b);
            if (key != ((1 << 3) | 2)) {
                throw new IllegalStateException("Summary: unexpected key " + key);
            }
            ByteBuffer v = ByteBuffer.wrap(bytes(b)).order(ByteOrder.LITTLE_ENDIAN);
            String tag = null;
            Float value = null;
            while (v.hasRemaining()) {
                long k = varint(v);
                if (k == ((1 << 3) | 2)) {
                    tag = new String(bytes(v), StandardCharsets.UTF_8);
                } else if (k == ((2 << 3) | 5)) {
                    value = v.getFloat();
                } else {
                    throw new IllegalStateException("Summary.Value: unexpected key " + k);
                }
            }
            scalars.put(tag, value);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[(int) varint(b)];
        b.get(out);
        return out;
    }

    private static long varint(ByteBuffer b) {
        long result = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b.get() & 0xFF;
            result |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) {
                return result;
            }
        }
    }
}
