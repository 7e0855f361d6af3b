package io.encoder4j.datasets.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Label names and their ids, in the order of the classifier's outputs. Stored with a model as {@code labels.json}
 * in the fields Hugging Face's {@code config.json} uses ({@code id2label}, {@code label2id}), so predictions map back to
 * the names the data used.
 */
public final class LabelMap {

    /** The file name a model directory stores the map under. */
    public static final String FILE_NAME = "labels.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final List<String> names;
    private final Map<String, Integer> ids;

    private LabelMap(List<String> names) {
        this.names = List.copyOf(names);
        this.ids = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            if (ids.put(names.get(i), i) != null) {
                throw new IllegalArgumentException("label '" + names.get(i) + "' is listed twice");
            }
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no labels");
        }
    }

    /** Labels with ids in the given order. */
    public static LabelMap of(List<String> names) {
        return new LabelMap(names);
    }

    /**
     * The distinct labels of {@code labels}, sorted: numerically when every label is an integer ("2" before "10"),
     * else by name. Sorting makes the ids independent of the order of the rows.
     */
    public static LabelMap fromLabels(Collection<String> labels) {
        boolean numeric = !labels.isEmpty() && labels.stream().allMatch(l -> l.matches("-?\\d{1,18}"));
        Comparator<String> order = numeric ? Comparator.comparingLong(Long::parseLong) : Comparator.naturalOrder();
        TreeSet<String> distinct = new TreeSet<>(order);
        distinct.addAll(labels);
        return new LabelMap(new ArrayList<>(distinct));
    }

    public int size() {
        return names.size();
    }

    /** Label names by id. */
    public List<String> names() {
        return names;
    }

    public String name(int id) {
        return names.get(id);
    }

    public boolean contains(String label) {
        return ids.containsKey(label);
    }

    /**
     * The id of {@code label}.
     *
     * @param where the file and line the label came from, for the message
     * @throws ConfigException naming {@code where} if the label is unknown
     */
    public int id(String label, String where) {
        Integer id = ids.get(label);
        if (id == null) {
            throw new ConfigException(where + ": unknown label '" + label + "' (known labels: "
                    + String.join(", ", names) + ")");
        }
        return id;
    }

    /** {@code {"id2label": {"0": ...}, "label2id": {...}}}. */
    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode id2label = root.putObject("id2label");
        ObjectNode label2id = root.putObject("label2id");
        for (int i = 0; i < names.size(); i++) {
            id2label.put(Integer.toString(i), names.get(i));
            label2id.put(names.get(i), i);
        }
        return root;
    }

    /** Reads the {@code id2label} of a JSON object written by {@link #toJson()} (or a Hugging Face config). */
    public static LabelMap fromJson(JsonNode root) {
        JsonNode id2label = root.path("id2label");
        if (!id2label.isObject() || id2label.isEmpty()) {
            throw new IllegalArgumentException("no id2label object");
        }
        String[] names = new String[id2label.size()];
        for (Map.Entry<String, JsonNode> e : id2label.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("id2label key '" + e.getKey() + "' is not an integer");
            }
            if (id < 0 || id >= names.length || names[id] != null) {
                throw new IllegalArgumentException("id2label ids must be 0.." + (names.length - 1) + " once each");
            }
            names[id] = e.getValue().asText();
        }
        return new LabelMap(List.of(names));
    }

    /** Writes {@link #toJson()} to {@code file} through a temporary file and a rename. */
    public void write(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), toJson());
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads a file written by {@link #write}. */
    public static LabelMap read(Path file) {
        try {
            return fromJson(JSON.readTree(file.toFile()));
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(file + ": not a label map: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelMap other && other.names.equals(names);
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }

    @Override
    public String toString() {
        return "LabelMap" + names;
    }
}
