package io.encoder4j.datasets.input;

import io.encoder4j.core.config.ConfigException;
import java.nio.file.Path;
import java.util.Locale;

/** The row-oriented text formats, chosen by file extension ({@code .gz} ignored) unless a job names one. */
public enum TableFormat {
    /** Tab-separated values, no quoting (the GLUE and LRA convention: quotes are literal characters). */
    TSV,
    /** Comma-separated values with RFC 4180 quoting; a quoted field may span lines. */
    CSV,
    /** One JSON object per line. */
    JSONL;

    /**
     * The format named by {@code name} ({@code tsv}, {@code csv}, {@code jsonl}) or, when it is null or {@code auto},
     * by the extension of {@code file}.
     *
     * @param key the config key that names the format, for messages
     */
    public static TableFormat of(String name, Path file, String key) {
        if (name != null && !name.equals("auto")) {
            try {
                return valueOf(name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key + ": unknown format '" + name + "' (known: auto, tsv, csv, jsonl)");
            }
        }
        TableFormat format = byExtension(file);
        if (format == null) {
            throw new ConfigException(key + ": cannot tell the format of " + file
                    + " from its extension (.tsv, .csv, .jsonl, .json, optionally .gz); name it with format:");
        }
        return format;
    }

    /** The format of a {@code .tsv}, {@code .csv}, {@code .jsonl} or {@code .json} file (optionally {@code .gz}). */
    public static TableFormat byExtension(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        if (name.endsWith(".tsv")) {
            return TSV;
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".jsonl") || name.endsWith(".json") || name.endsWith(".ndjson")) {
            return JSONL;
        }
        return null;
    }
}
