package io.encoder4j.training.loop;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Where checkpoint files are written: the file system, or in tests a sink that fails like a full disk. The default
 * sink forces every file to stable storage when it is closed, so that a checkpoint that has been renamed into
 * place survives a power loss, not only a killed process.
 */
@FunctionalInterface
public interface FileSink {

    /** Creates {@code file} for writing. */
    OutputStream create(Path file) throws IOException;

    /** Plain files, fsync'ed on close. */
    FileSink FILES = SyncedFile::new;

    /** A buffered file that is forced to disk when closed. */
    final class SyncedFile extends BufferedOutputStream {
        private final FileOutputStream file;

        SyncedFile(Path path) throws IOException {
            this(new FileOutputStream(path.toFile()));
        }

        private SyncedFile(FileOutputStream file) {
            super(file, 1 << 16);
            this.file = file;
        }

        @Override
        public void close() throws IOException {
            try {
                flush();
                file.getFD().sync();
            } finally {
                super.close();
            }
        }
    }
}
