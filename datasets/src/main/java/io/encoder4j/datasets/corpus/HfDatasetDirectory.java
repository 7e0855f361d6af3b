package io.encoder4j.datasets.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import io.encoder4j.core.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The layout Hugging Face {@code datasets} writes with {@code save_to_disk}: a {@code Dataset} directory holds Arrow
 * IPC stream files listed, in order, under {@code _data_files} in {@code state.json} (plus {@code dataset_info.json}
 * with the features); a {@code DatasetDict} directory holds {@code dataset_dict.json} ({@code {"splits": [...]}}) and
 * one {@code Dataset} directory per split.
 */
final class HfDatasetDirectory {

    private HfDatasetDirectory() {}

    /** The Arrow files of {@code dir}, or of its split {@code split} when it is a {@code DatasetDict}. */
    static List<Path> dataFiles(Path dir, String split) {
        Path dict = dir.resolve("dataset_dict.json");
        if (Files.isRegularFile(dict)) {
            List<String> splits = new ArrayList<>();
            Corpus.readJson(dict).path("splits").forEach(s -> splits.add(s.asText()));
            if (!splits.contains(split)) {
                throw new ConfigException(dir + ": no split '" + split + "' (splits: " + String.join(", ", splits)
                        + "); choose one with split:");
            }
            return dataFiles(dir.resolve(split), split);
        }
        Path state = dir.resolve("state.json");
        if (!Files.isRegularFile(state)) {
            throw new ConfigException(dir + ": not a datasets save_to_disk directory (no state.json or "
                    + "dataset_dict.json)");
        }
        JsonNode files = Corpus.readJson(state).path("_data_files");
        if (!files.isArray() || files.isEmpty()) {
            throw new ConfigException(state + ": no _data_files listed");
        }
        List<Path> paths = new ArrayList<>();
        for (JsonNode f : files) {
            String name = f.path("filename").asText("");
            Path file = dir.resolve(name);
            if (name.isEmpty() || name.contains("/") || name.contains("\\") || !Files.isRegularFile(file)) {
                throw new ConfigException(state + ": lists data file '" + name + "', which is missing");
            }
            paths.add(file);
        }
        return paths;
    }
}
