package io.encoder4j.datasets.input;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * Reads a text file ({@code .gz} decompressed on the fly) line by line, decoding each line as strict UTF-8, so that
 * invalid bytes are reported with the number of the line that holds them instead of being replaced silently. Line
 * terminators ({@code \n}, {@code \r\n}) are removed; a byte-order mark at the start is dropped.
 */
public final class Utf8Lines implements Closeable {

    /**
     * One line.
     *
     * @param number 1-based line number
     * @param text the decoded line, or {@code null} if its bytes are not valid UTF-8
     */
    public record Line(long number, String text) {
        public boolean valid() {
            return text != null;
        }
    }

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] chunk = new byte[1 << 16];
    private int pos;
    private int limit;
    private byte[] buffer = new byte[8192];
    private long number;
    private boolean first = true;
    private boolean eof;

    private Utf8Lines(InputStream in) {
        this.in = in;
    }

    /** Opens {@code file}; a name ending in {@code .gz} is read through gzip. */
    public static Utf8Lines open(Path file) throws IOException {
        InputStream raw = Files.newInputStream(file);
        if (file.getFileName().toString().endsWith(".gz")) {
            try {
                raw = new GZIPInputStream(raw, 1 << 16);
            } catch (IOException e) {
                raw.close();
                throw new IOException(file + ": not a gzip file: " + e.getMessage(), e);
            }
        }
        return new Utf8Lines(raw);
    }

    /** The next line, or {@code null} at the end of the file. */
    public Line next() throws IOException {
        if (eof) {
            return null;
        }
        int n = 0;
        boolean ended = false;
        while (!ended) {
            if (pos == limit) {
                limit = in.read(chunk);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    eof = true;
                    if (n == 0) {
                        return null;
                    }
                    break;
                }
            }
            int i = pos;
            while (i < limit && chunk[i] != '\n') {
                i++;
            }
            int len = i - pos;
            if (n + len > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, n + len));
            }
            System.arraycopy(chunk, pos, buffer, n, len);
            n += len;
            ended = i < limit;
            pos = ended ? i + 1 : i;
        }
        if (n > 0 && buffer[n - 1] == '\r') {
            n--;
        }
        int start = 0;
        if (first && n >= 3 && (buffer[0] & 0xFF) == 0xEF && (buffer[1] & 0xFF) == 0xBB && (buffer[2] & 0xFF) == 0xBF) {
            start = 3;
        }
        first = false;
        number++;
        try {
            CharBuffer chars = decoder.reset().decode(ByteBuffer.wrap(buffer, start, n - start));
            return new Line(number, chars.toString());
        } catch (CharacterCodingException e) {
            return new Line(number, null);
        }
    }

    /** Lines returned so far. */
    public long lineNumber() {
        return number;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
