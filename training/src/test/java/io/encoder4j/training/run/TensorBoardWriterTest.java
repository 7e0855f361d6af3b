package io.encoder4j.training.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorBoardWriterTest {

    @TempDir
    Path dir;

    @Test
    void maskedCrcMatchesTheKnownVector() {
        // CRC-32C("123456789") = 0xE3069283 (RFC 3720 check value); masked as TFRecord does: 0xC78AB0E5.
        assertEquals(0xC78AB0E5, TensorBoardWriter.maskedCrc("123456789".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(0xC78AB0E5, TensorBoardEvents.mask(0xE3069283));
    }

    @Test
    void eventsReadBackWithTheirFramingTagsAndSteps() throws Exception {
        Path file;
        try (TensorBoardWriter tb = TensorBoardWriter.open(dir.resolve("tb"))) {
            file = tb.file();
            Map<String, Object> train = new LinkedHashMap<>();
            train.put("loss", 3.25);
            train.put("lr", 1.0e-3f);
            train.put("note", "not a number");
            train.put("grad_norm", Double.NaN);
            tb.scalars(10, "train", train);
            tb.scalars(300, "eval", Map.of("accuracy", 0.5));
            tb.sessionStart(201);
        }
        assertTrue(file.getFileName().toString().startsWith("events.out.tfevents."), file.toString());
        List<TensorBoardEvents.Event> events = TensorBoardEvents.read(file);
        assertEquals(4, events.size());
        assertEquals(TensorBoardWriter.FILE_VERSION, events.get(0).fileVersion());
        assertTrue(Math.abs(events.get(0).wallTime() - System.currentTimeMillis() / 1000.0) < 600);
        assertEquals(10, events.get(1).step());
        assertEquals(Map.of("train/loss", 3.25f, "train/lr", 1.0e-3f), events.get(1).scalars());
        assertNull(events.get(1).fileVersion());
        assertEquals(300, events.get(2).step());
        assertEquals(Map.of("eval/accuracy", 0.5f), events.get(2).scalars());
        assertEquals(201, events.get(3).step());
        assertEquals(1, events.get(3).sessionStatus());

        // A second writer in the same directory gets a file of its own.
        try (TensorBoardWriter again = TensorBoardWriter.open(dir.resolve("tb"))) {
            assertTrue(!again.file().equals(file));
        }
    }
}
