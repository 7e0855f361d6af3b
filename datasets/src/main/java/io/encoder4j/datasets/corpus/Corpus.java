package io.encoder4j.datasets.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.arrow.ArrowTableReader;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.input.TableFormat;
import io.encoder4j.datasets.input.TableReader;
import io.encoder4j.datasets.input.Utf8Lines;
import io.encoder4j.datasets.tasks.qa.SquadExample;
import io.encoder4j.datasets.tasks.qa.SquadReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A pretraining corpus made of any number of inputs ({@link CorpusInput}): plain text ({@code .txt}, {@code .txt.gz}),
 * JSONL, CSV and TSV with a named text field, Arrow IPC files, and Hugging Face {@code datasets} {@code save_to_disk}
 * directories, each given as a file, a directory or a glob. Documents are streamed, never all held at once
 * ({@link #read}); bad rows are reported through {@link BadRows} with their file and line.
 */
public final class Corpus {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One resolved file (or Hugging Face dataset directory) with the settings of the input that named it.
     *
     * @param path the file or dataset directory
     * @param format its format
     * @param input the input that named it
     */
    public record Source(Path path, CorpusFormat format, CorpusInput input) {}

    private final List<Source> sources;

    private Corpus(List<Source> sources) {
        this.sources = List.copyOf(sources);
    }

    /**
     * Resolves {@code inputs}: files, directories (every file of a known format below them, in name order, hidden
     * files skipped) and globs.
     *
     * @param key the config key naming the inputs, for messages
     * @throws ConfigException naming the key for a path that does not exist, a glob that matches nothing, or a file
     *     whose format cannot be told
     */
    public static Corpus of(String key, List<CorpusInput> inputs) {
        if (inputs == null || inputs.isEmpty()) {
            throw new ConfigException(key + ": no corpus path given");
        }
        List<Source> sources = new ArrayList<>();
        for (CorpusInput input : inputs) {
            CorpusFormat named = CorpusFormat.named(input.format());
            String p = input.path();
            if (isGlob(p)) {
                List<Path> matches = glob(key, p);
                for (Path m : matches) {
                    sources.add(source(key, m, named, input));
                }
                continue;
            }
            Path path = Path.of(p);
            if (Files.isDirectory(path)) {
                CorpusFormat detected = named != null ? named : CorpusFormat.detect(path);
                if (detected == CorpusFormat.HF_DATASET) {
                    sources.add(new Source(path, CorpusFormat.HF_DATASET, input));
                    continue;
                }
                List<Path> files = walk(key, path);
                int before = sources.size();
                for (Path f : files) {
                    CorpusFormat format = named != null ? named : CorpusFormat.detect(f);
                    if (format != null && format != CorpusFormat.HF_DATASET) {
                        sources.add(new Source(f, format, input));
                    }
                }
                if (sources.size() == before) {
                    throw new ConfigException(key + ": no readable files (.txt, .jsonl, .csv, .tsv, .arrow, "
                            + "optionally .gz) under " + path);
                }
            } else if (Files.isRegularFile(path)) {
                sources.add(source(key, path, named, input));
            } else {
                throw new ConfigException(key + ": corpus path '" + p + "' does not exist (resolved against "
                        + Path.of("").toAbsolutePath() + ")");
            }
        }
        return new Corpus(sources);
    }

    /** Plain paths, every setting automatic. */
    public static Corpus ofPaths(String key, List<String> paths) {
        if (paths == null || paths.isEmpty()) {
            throw new ConfigException(key + ": no corpus path given");
        }
        return of(key, paths.stream().map(CorpusInput::of).toList());
    }

    private static Source source(String key, Path file, CorpusFormat named, CorpusInput input) {
        CorpusFormat format = named != null ? named : CorpusFormat.detect(file);
        if (format == null) {
            throw new ConfigException(key + ": cannot tell the format of " + file + " from its name (known: .txt, "
                    + ".jsonl, .json, .csv, .tsv, .arrow, optionally .gz); set format: on the input");
        }
        return new Source(file, format, input);
    }

    private static boolean isGlob(String p) {
        return p.indexOf('*') >= 0 || p.indexOf('?') >= 0 || p.indexOf('[') >= 0 || p.indexOf('{') >= 0;
    }

    /** Files matching {@code pattern}, walking from the longest directory prefix without wildcards. */
    private static List<Path> glob(String key, String pattern) {
        String normalized = pattern.replace('\\', '/');
        int firstWild = normalized.length();
        for (char c : new char[] {'*', '?', '[', '{'}) {
            int i = normalized.indexOf(c);
            if (i >= 0) {
                firstWild = Math.min(firstWild, i);
            }
        }
        int slash = normalized.lastIndexOf('/', firstWild);
        Path base = slash < 0 ? Path.of("") : Path.of(normalized.substring(0, slash + 1));
        Path absoluteBase = base.toAbsolutePath().normalize();
        String rest = normalized.substring(slash + 1);
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + rest);
        List<Path> matches = new ArrayList<>();
        if (Files.isDirectory(absoluteBase)) {
            for (Path f : walk(key, base)) {
                Path relative = absoluteBase.relativize(f.toAbsolutePath().normalize());
                if (matcher.matches(relative)) {
                    matches.add(f);
                }
            }
        }
        if (matches.isEmpty()) {
            throw new ConfigException(key + ": '" + pattern + "' matches no file (resolved against "
                    + Path.of("").toAbsolutePath() + ")");
        }
        return matches;
    }

    private static List<Path> walk(String key, Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new ConfigException(key + ": cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The resolved sources, in reading order. */
    public List<Source> sources() {
        return sources;
    }

    /** The files read (a dataset directory's Arrow files included), in order. */
    public List<Path> files() {
        List<Path> files = new ArrayList<>();
        for (Source s : sources) {
            if (s.format() == CorpusFormat.HF_DATASET) {
                files.addAll(HfDatasetDirectory.dataFiles(s.path(), s.input().split()));
            } else {
                files.add(s.path());
            }
        }
        return files;
    }

    /**
     * SHA-256 over every file's bytes and each input's settings: the same data read the same way gives the same
     * fingerprint wherever it lives. (Plain text read as paragraphs adds nothing but the bytes, so a text-only corpus
     * keeps the fingerprint it had before the other formats existed.)
     */
    public String contentHash() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (Source s : sources) {
                for (Path f : files(s)) {
                    try (InputStream in = Files.newInputStream(f)) {
                        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                            sha.update(buffer, 0, n);
                        }
                    }
                    sha.update((byte) 0);
                }
                if (!(s.format() == CorpusFormat.TEXT && s.input().settings().equals(CorpusInput.of("x").settings()))) {
                    sha.update((s.format() + "|" + s.input().settings()).getBytes(StandardCharsets.UTF_8));
                    sha.update((byte) 0);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new ConfigException("cannot read the corpus: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The files of one source: the file itself, or a dataset directory's Arrow files. */
    public static List<Path> files(Source s) {
        return s.format() == CorpusFormat.HF_DATASET ? HfDatasetDirectory.dataFiles(s.path(), s.input().split())
                : List.of(s.path());
    }

    /** SHA-256 over one source's bytes, format and reading settings: it names that source's token cache. */
    public static String sourceHash(Source s) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (Path f : files(s)) {
                try (InputStream in = Files.newInputStream(f)) {
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        sha.update(buffer, 0, n);
                    }
                }
                sha.update((byte) 0);
            }
            sha.update((s.format() + "|" + s.input().settings()).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new ConfigException(s.path() + ": cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Streams the documents of one source; bad rows go to {@code bad}. */
    public static void read(Source s, BadRows bad, DocumentSink sink) {
        CorpusInput input = s.input();
        switch (s.format()) {
            case TEXT -> readText(s.path(), input.documents(), bad, sink);
            case JSONL, CSV, TSV -> {
                String field = input.textField() == null ? "text" : input.textField();
                TableFormat format = TableFormat.valueOf(s.format().name());
                TableReader.read(s.path(), format, input.columns(), bad, row -> {
                    String text = row.get(field);
                    if (text == null) {
                        bad.report(row.file(), row.line(), "no '" + field + "' field (the row has "
                                + row.fields().keySet() + ")");
                    } else {
                        sink.text(text);
                    }
                });
            }
            case ARROW -> ArrowTableReader.read(s.path(), input.textField(), bad, sink);
            case HF_DATASET -> {
                for (Path f : HfDatasetDirectory.dataFiles(s.path(), input.split())) {
                    ArrowTableReader.read(f, input.textField(), bad, sink);
                }
            }
            case SQUAD -> {
                String previous = null;
                for (SquadExample e : SquadReader.read(s.path(), bad)) {
                    if (!e.context().equals(previous)) {
                        sink.text(e.context());
                        previous = e.context();
                    }
                }
            }
            default -> throw new IllegalStateException(s.format().toString());
        }
    }

    /** Streams every document, in source order; bad rows go to {@code bad}. */
    public void read(BadRows bad, DocumentSink sink) {
        for (Source s : sources) {
            read(s, bad, sink);
        }
    }

    /**
     * Every document as text, in order (for corpora that fit in memory, such as tokenizer training).
     *
     * @param key the config key naming the corpus, for messages
     * @throws ConfigException if an input holds token ids rather than text, or the corpus holds no text
     */
    public List<String> documents(String key, BadRows bad) {
        List<String> docs = new ArrayList<>();
        read(bad, new DocumentSink() {
            @Override
            public void text(String document) {
                docs.add(document);
            }

            @Override
            public void tokens(int[] ids) {
                throw new ConfigException(key + ": an input holds token ids (input_ids), not text; name its text "
                        + "column with text_field, or use it with a tokenizer given by path in prepare");
            }
        });
        if (docs.isEmpty()) {
            throw new ConfigException(key + ": the corpus is empty (no text in " + String.join(", ",
                    sources.stream().map(s -> s.path().toString()).toList()) + ")");
        }
        return docs;
    }

    /** Plain text, split into documents as {@code mode} says. */
    static void readText(Path file, String mode, BadRows bad, DocumentSink sink) {
        try (Utf8Lines lines = Utf8Lines.open(file)) {
            StringBuilder doc = new StringBuilder();
            boolean whole = mode.equals("file");
            boolean perLine = mode.equals("lines");
            for (Utf8Lines.Line line = lines.next(); line != null; line = lines.next()) {
                if (!line.valid()) {
                    bad.report(file, line.number(), "invalid UTF-8");
                    continue;
                }
                String text = line.text();
                if (whole) {
                    if (doc.length() > 0) {
                        doc.append('\n');
                    }
                    doc.append(text);
                    continue;
                }
                String trimmed = text.strip();
                if (trimmed.isEmpty()) {
                    if (doc.length() > 0) {
                        sink.text(doc.toString());
                        doc.setLength(0);
                    }
                } else if (perLine) {
                    sink.text(trimmed);
                } else {
                    if (doc.length() > 0) {
                        doc.append(' ');
                    }
                    doc.append(trimmed);
                }
            }
            if (lines.lineNumber() == 0) {
                bad.report(file, 0, "the file is empty");
            }
            if (whole ? !doc.toString().isBlank() : doc.length() > 0) {
                sink.text(doc.toString());
            }
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads a small JSON file (the {@code datasets} metadata). */
    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read JSON: " + e.getMessage(), e);
        }
    }
}
