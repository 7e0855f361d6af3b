package io.encoder4j.training.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {

    @TempDir
    Path dir;

    /** Three files of a few kilobytes, the second large enough to be written in pieces. */
    private static CheckpointStore.Contents contents(String tag) {
        return (temp, sink) -> {
            for (String name : List.of("model.params", "optimizer.safetensors", "trainer_state.json")) {
                try (OutputStream out = sink.create(temp.resolve(name))) {
                    for (int i = 0; i < 100; i++) {
                        out.write((tag + " " + name + " " + i + "\n").getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
        };
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A process dying half-way through a file: the writer stops without any cleanup. */
    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void aCrashDuringAWriteLeavesThePreviousCheckpointIntact() throws Exception {
        CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), FileSink.FILES);
        Path first = store.write(100, contents("first"));
        byte[] before = Files.readAllBytes(first.resolve("optimizer.safetensors"));

        // Dies after 300 bytes of the second file of the next checkpoint.
        FileSink dying = file -> {
            OutputStream real = FileSink.FILES.create(file);
            boolean dies = file.getFileName().toString().equals("optimizer.safetensors");
            return new OutputStream() {
                private int written;

                @Override
                public void write(int b) throws IOException {
                    if (dies && ++written > 300) {
                        throw new Crash();
                    }
                    real.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    for (int i = 0; i < len; i++) {
                        write(b[off + i]);
                    }
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        };
        CheckpointStore crashing = new CheckpointStore(dir.resolve("checkpoints"), dying);
        assertThrows(Crash.class, () -> crashing.write(200, contents("second")));
        // What the crash left: the intact first checkpoint and a temporary directory nobody reads.
        List<String> left = names(dir.resolve("checkpoints"));
        assertEquals(2, left.size(), left.toString());
        assertEquals("step-000100", left.get(1));
        assertTrue(left.get(0).startsWith(".tmp-step-000200-"), left.toString());
        assertEquals(Optional.of(first), store.latest());
        assertArrayEquals(before, Files.readAllBytes(first.resolve("optimizer.safetensors")));
        assertEquals(names(first), List.of("model.params", "optimizer.safetensors", "trainer_state.json"));

        // The next run cleans up and writes normally.
        store.removeIncomplete();
        assertEquals(List.of("step-000100"), names(dir.resolve("checkpoints")));
        Path second = store.write(200, contents("second"));
        assertEquals(Optional.of(second), store.latest());
    }

    @Test
    void aFullDiskIsOneLineAndRemovesThePartialCopy() throws Exception {
        CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), FileSink.FILES);
        store.write(5, contents("first"));
        FileSink full = file -> {
            if (file.getFileName().toString().equals("trainer_state.json")) {
                throw new IOException("No space left on device");
            }
            return FileSink.FILES.create(file);
        };
        ConfigException e = assertThrows(ConfigException.class,
                () -> new CheckpointStore(dir.resolve("checkpoints"), full).write(10, contents("second")));
        assertEquals("cannot write checkpoint " + dir.resolve("checkpoints/step-000010") + ": No space left on device; "
                + "the previous checkpoint " + dir.resolve("checkpoints/step-000005") + " is intact (free disk "
                + "space, then continue with: encoder4j resume " + dir + ")", e.getMessage());
        assertEquals(List.of("step-000005"), names(dir.resolve("checkpoints")));
    }

    @Test
    void rotationKeepsTheNewestAndTheBest() throws Exception {
        CheckpointStore store = new CheckpointStore(dir.resolve("checkpoints"), FileSink.FILES);
        for (long step : new long[] {10, 20, 30, 40, 1000000}) {
            store.write(step, contents("s" + step));
        }
        store.rotate(2, store.dir().resolve("step-000020"));
        assertEquals(List.of("step-000020", "step-000040", "step-1000000"), names(store.dir()));
        assertEquals(1000000, CheckpointStore.step(store.latest().orElseThrow()));
        store.rotate(0, null);
        assertEquals(3, store.list().size());
    }
}
