package io.encoder4j.training.run;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * TensorBoard scalars: an {@code events.out.tfevents.*} file that {@code tensorboard --logdir runs/<name>/tb} reads.
 *
 * <p>The format, written here without a protobuf dependency: a sequence of TFRecords (little-endian uint64 length,
 * masked CRC-32C of those 8 bytes, the data, masked CRC-32C of the data; tensorflow/core/lib/io/record_writer.cc),
 * each holding one {@code tensorflow.Event} protobuf (tensorflow/core/util/event.proto): field 1 {@code wall_time}
 * (double), 2 {@code step} (int64), and one of 3 {@code file_version} (the first event, {@code "brain.Event:2"}),
 * 5 {@code summary} ({@code Summary.Value} with 1 {@code tag} and 2 {@code simple_value}, a float) or 7
 * {@code session_log}. A resumed run starts a new file with a {@code SessionLog} START event at the first step it
 * will log again: TensorBoard then drops the older files' events from that step on, which a killed run may have
 * written after its last checkpoint.
 */
public final class TensorBoardWriter implements AutoCloseable {

    public static final String FILE_VERSION = "brain.Event:2";
    private static final int MASK_DELTA = 0xa282ead8;
    private static final int SESSION_START = 1;

    private final Path file;
    private final OutputStream out;

    private TensorBoardWriter(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /** Creates {@code dir} if needed and a new event file in it, starting with the file-version event. */
    public static TensorBoardWriter open(Path dir) throws IOException {
        Files.createDirectories(dir);
        long seconds = System.currentTimeMillis() / 1000;
        String base = String.format("events.out.tfevents.%010d.%s.%d", seconds, hostName(), ProcessHandle.current().pid());
        Path file = dir.resolve(base + ".0");
        for (int n = 1; Files.exists(file); n++) {
            file = dir.resolve(base + "." + n);
        }
        TensorBoardWriter writer = new TensorBoardWriter(file, new BufferedOutputStream(
                Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)));
        Proto event = new Proto().double64(1, wallTime()).int64(2, 0).string(3, FILE_VERSION);
        writer.record(event.bytes());
        writer.out.flush();
        return writer;
    }

    public Path file() {
        return file;
    }

    /** One scalar per entry, tagged {@code prefix/name}; non-numeric and non-finite values are skipped. */
    public void scalars(long step, String prefix, Map<String, ?> values) throws IOException {
        Proto summary = new Proto();
        int n = 0;
        for (Map.Entry<String, ?> e : values.entrySet()) {
            if (e.getValue() instanceof Number num && Double.isFinite(num.doubleValue())) {
                summary.message(1, new Proto().string(1, prefix + "/" + e.getKey()).float32(2, num.floatValue()));
                n++;
            }
        }
        if (n > 0) {
            record(new Proto().double64(1, wallTime()).int64(2, step).message(5, summary).bytes());
        }
        out.flush();
    }

    /** A SessionLog START at {@code step}: TensorBoard discards earlier files' events at and after it. */
    public void sessionStart(long step) throws IOException {
        Proto sessionLog = new Proto().int64(1, SESSION_START);
        record(new Proto().double64(1, wallTime()).int64(2, step).message(7, sessionLog).bytes());
        out.flush();
    }

    private void record(byte[] data) throws IOException {
        byte[] length = new byte[8];
        long n = data.length;
        for (int i = 0; i < 8; i++) {
            length[i] = (byte) (n >>> (8 * i));
        }
        out.write(length);
        writeInt(maskedCrc(length));
        out.write(data);
        writeInt(maskedCrc(data));
    }

    private void writeInt(int v) throws IOException {
        for (int i = 0; i < 4; i++) {
            out.write(v >>> (8 * i));
        }
    }

    /** TFRecord's masked CRC-32C: rotate right by 15 bits and add a constant. */
    public static int maskedCrc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + MASK_DELTA;
    }

    private static double wallTime() {
        return System.currentTimeMillis() / 1000.0;
    }

    private static String hostName() {
        try {
            String h = java.net.InetAddress.getLocalHost().getHostName();
            return h.replaceAll("[^A-Za-z0-9._-]", "_");
        } catch (IOException e) {
            return "localhost";
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** The few protobuf wire-format encodings an Event needs. */
    private static final class Proto {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        private void tag(int field, int wireType) {
            varint(((long) field << 3) | wireType);
        }

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                buf.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            buf.write((int) v);
        }

        Proto double64(int field, double value) {
            tag(field, 1);
            long bits = Double.doubleToLongBits(value);
            for (int i = 0; i < 8; i++) {
                buf.write((int) (bits >>> (8 * i)));
            }
            return this;
        }

        Proto float32(int field, float value) {
            tag(field, 5);
            int bits = Float.floatToIntBits(value);
            for (int i = 0; i < 4; i++) {
                buf.write(bits >>> (8 * i));
            }
            return this;
        }

        Proto int64(int field, long value) {
            tag(field, 0);
            varint(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return bytes(field, message.bytes());
        }

        private Proto bytes(int field, byte[] value) {
            tag(field, 2);
            varint(value.length);
            buf.writeBytes(value);
            return this;
        }

        byte[] bytes() {
            return buf.toByteArray();
        }
    }
}
