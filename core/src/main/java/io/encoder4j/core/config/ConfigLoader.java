package io.encoder4j.core.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Loads a YAML job file into a config record: applies {@code key=value} overrides by dotted path, rejects unknown
 * keys (with a suggestion) and values of the wrong type, and runs the records' own validation. Every failure is a
 * {@link ConfigException} with a one-line message naming the file, the line and the key.
 *
 * <p>Keys are snake_case in YAML and camelCase in the records. Missing keys bind to {@code null}, which the records'
 * compact constructors replace with defaults.
 *
 * <p>A file may start with {@code include: [a.yaml, b.yaml]} (or one path): those files, resolved against the
 * including file's directory, are deep-merged first and the including file wins (see {@link #composedTree}). An error
 * names the file and line where the winning value of the offending key is written, included files too.
 */
public final class ConfigLoader {

    private static final ObjectMapper MAPPER = YAMLMapper.builder(
                    YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .build();

    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

    /** The top-level key that names files to merge under this one. */
    public static final String INCLUDE = "include";

    private ConfigLoader() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Reads {@code file} (and the files it includes), applies {@code overrides} ("a.b=value"), and binds the result. */
    public static <T> T load(Path file, Class<T> type, List<String> overrides) {
        Composed composed = compose(file, new ArrayDeque<>());
        ObjectNode root = composed.tree();
        Map<String, String> overridden = new HashMap<>();
        for (String override : overrides) {
            String key = applyOverride(root, override);
            overridden.put(key, override);
        }
        try {
            return MAPPER.treeToValue(root, type);
        } catch (JsonMappingException e) {
            String key = withoutImplicitIndices(root, offendingKey(e));
            String where = overridden.containsKey(key)
                    ? file + ": override '" + overridden.get(key) + "'"
                    : composed.locate(file, key);
            throw new ConfigException(where + ": " + describe(e, key).replace(offendingKey(e), key), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The YAML tree of {@code file} with its {@code include:} files merged in, before overrides and binding. An
     * included file is resolved against the directory of the file that includes it; includes are merged in order
     * (a later one wins over an earlier one) and the including file wins over all of them. Mappings merge key by
     * key, recursively; lists and scalars are replaced as a whole.
     */
    public static ObjectNode composedTree(Path file) {
        return compose(file, new ArrayDeque<>()).tree();
    }

    /** One file of a composed config: where it is, its text, and the file that included it (null for the job). */
    private record Source(Path file, String text, Path includedBy) {}

    /**
     * A merged tree and its sources in order of precedence (the one whose value wins first), so that an error can
     * name the file and line where the winning value of a key is written.
     */
    private record Composed(ObjectNode tree, List<Source> sources) {

        String locate(Path job, String key) {
            for (boolean exact : new boolean[] {true, false}) {
                for (Source s : sources) {
                    java.util.Optional<Integer> line = exact ? exactLineOf(s.text(), key) : lineOf(s.text(), key);
                    if (line.isPresent()) {
                        return where(s) + ": line " + line.get();
                    }
                }
            }
            return job.toString();
        }

        private static String where(Source s) {
            return s.includedBy() == null ? s.file().toString() : s.file() + " (included by " + s.includedBy() + ")";
        }
    }

    private static Composed compose(Path file, Deque<Path> including) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": config file not found");
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config file: " + e.getMessage(), e);
        }
        JsonNode parsed;
        try {
            parsed = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + ": line " + e.getLocation().getLineNr() + ": invalid YAML: "
                    + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        }
        if (parsed == null || parsed instanceof MissingNode || parsed.isNull()) {
            parsed = JsonNodeFactory.instance.objectNode();
        }
        if (!parsed.isObject()) {
            throw new ConfigException(file + ": the top level must be a mapping of keys to values");
        }
        ObjectNode root = (ObjectNode) parsed;
        JsonNode include = root.remove(INCLUDE);
        Path includedBy = including.isEmpty() ? null : relativeToWorkingDirectory(including.peekLast());
        List<Source> sources = new java.util.ArrayList<>();
        sources.add(new Source(file, text, includedBy));
        if (include == null || include.isNull()) {
            return new Composed(root, sources);
        }
        String includeLine = file + ": line " + lineOf(text, INCLUDE).orElse(1);
        List<JsonNode> entries = new java.util.ArrayList<>();
        if (include.isArray()) {
            include.forEach(entries::add);
        } else {
            entries.add(include);
        }
        Path identity = file.toAbsolutePath().normalize();
        including.addLast(identity);
        ObjectNode merged = JsonNodeFactory.instance.objectNode();
        List<Source> fromIncludes = new java.util.ArrayList<>();
        for (JsonNode entry : entries) {
            if (!entry.isTextual() || entry.asText().isBlank()) {
                throw new ConfigException(includeLine + ": include must be a file path or a list of file paths, got "
                        + entry);
            }
            Path target = file.toAbsolutePath().getParent().resolve(entry.asText()).normalize();
            Path shown = relativeToWorkingDirectory(target);
            if (including.contains(target)) {
                List<String> cycle = new java.util.ArrayList<>();
                boolean inCycle = false;
                for (Path p : including) {
                    inCycle |= p.equals(target);
                    if (inCycle) {
                        cycle.add(relativeToWorkingDirectory(p).toString());
                    }
                }
                cycle.add(shown.toString());
                throw new ConfigException(includeLine + ": include cycle: " + String.join(" -> ", cycle));
            }
            if (!Files.isRegularFile(target)) {
                throw new ConfigException(includeLine + ": included file '" + entry.asText() + "' not found (looked for "
                        + shown + ", relative to the including file)");
            }
            Composed sub = compose(shown, including);
            deepMerge(merged, sub.tree());
            // Later includes win over earlier ones: their sources come first.
            fromIncludes.addAll(0, sub.sources());
        }
        including.removeLast();
        deepMerge(merged, root);
        sources.addAll(fromIncludes);
        return new Composed(merged, sources);
    }

    /** Copies {@code overlay} into {@code base}: mappings merge key by key, anything else replaces. */
    static void deepMerge(ObjectNode base, ObjectNode overlay) {
        for (Map.Entry<String, JsonNode> e : overlay.properties()) {
            JsonNode existing = base.get(e.getKey());
            if (existing instanceof ObjectNode target && e.getValue() instanceof ObjectNode source) {
                deepMerge(target, source);
            } else {
                base.set(e.getKey(), e.getValue() == null ? null : e.getValue().deepCopy());
            }
        }
    }

    private static Path relativeToWorkingDirectory(Path absolute) {
        Path cwd = Path.of("").toAbsolutePath();
        return absolute.startsWith(cwd) ? cwd.relativize(absolute) : absolute;
    }

    /** The resolved config as YAML, in the same snake_case keys a user writes. */
    public static String toYaml(Object config) {
        try {
            return MAPPER.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write config as YAML", e);
        }
    }

    /** The same snake_case form as JSON, readable again by {@link #load} (JSON is YAML). */
    public static String toJson(Object config) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write config as JSON", e);
        }
    }

    /** Sets the value at a dotted path, parsing the value as a YAML scalar or flow collection. */
    static String applyOverride(ObjectNode root, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) {
            throw new ConfigException("override '" + override + "' is not of the form key=value");
        }
        String key = override.substring(0, eq).trim();
        String raw = override.substring(eq + 1);
        String[] parts = key.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (child == null || child.isNull()) {
                child = node.putObject(parts[i]);
            } else if (!child.isObject()) {
                throw new ConfigException("override '" + override + "': '"
                        + String.join(".", java.util.Arrays.copyOf(parts, i + 1)) + "' is not a section");
            }
            node = (ObjectNode) child;
        }
        JsonNode value;
        try {
            value = raw.isEmpty() ? JsonNodeFactory.instance.nullNode() : MAPPER.readTree(raw);
        } catch (JsonProcessingException e) {
            value = JsonNodeFactory.instance.textNode(raw);
        }
        node.set(parts[parts.length - 1], value == null ? JsonNodeFactory.instance.textNode(raw) : value);
        return key;
    }

    private static String describe(JsonMappingException e, String key) {
        if (e instanceof UnrecognizedPropertyException u) {
            List<String> known = u.getKnownPropertyIds().stream().map(Object::toString).sorted()
                    .collect(Collectors.toList());
            return "unknown key '" + key + "'" + Suggestions.didYouMean(u.getPropertyName(), known)
                    + "; known keys here: " + String.join(", ", known);
        }
        if (e instanceof ValueInstantiationException && e.getCause() instanceof IllegalArgumentException iae) {
            String parent = dottedPath(e);
            return (parent.isEmpty() ? "" : parent + ".") + iae.getMessage();
        }
        if (e instanceof InvalidFormatException f) {
            return key + ": expected " + typeName(f.getTargetType()) + ", got '" + f.getValue() + "'";
        }
        if (e instanceof MismatchedInputException m && m.getTargetType() != null) {
            return key + ": expected " + typeName(m.getTargetType());
        }
        return key + ": " + e.getOriginalMessage().lines().findFirst().orElse("");
    }

    /**
     * The dotted key an error is about. For a record's own validation Jackson points at the record, and the
     * message starts with the field's key ({@link Checks}), which completes the path.
     */
    private static String offendingKey(JsonMappingException e) {
        String path = dottedPath(e);
        if (e instanceof ValueInstantiationException && e.getCause() instanceof IllegalArgumentException iae
                && iae.getMessage() != null) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)*)\\b").matcher(iae.getMessage());
            if (m.find()) {
                return path.isEmpty() ? m.group(1) : path + "." + m.group(1);
            }
        }
        return path;
    }

    private static String typeName(Class<?> t) {
        if (t == Integer.class || t == int.class || t == Long.class || t == long.class) {
            return "an integer";
        }
        if (t == Float.class || t == float.class || t == Double.class || t == double.class) {
            return "a number";
        }
        if (t == Boolean.class || t == boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(t)) {
            return "a list";
        }
        if (t.isRecord()) {
            return "a section (a mapping of keys to values)";
        }
        return "a value of type " + t.getSimpleName();
    }

    private static String dottedPath(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    /**
     * Drops the list indices Jackson adds where a single value stands for a one-element list (ACCEPT_SINGLE_VALUE_AS
     * _ARRAY), so that {@code attention: {type: x}} is reported as {@code attention.type}, as the user wrote it.
     */
    static String withoutImplicitIndices(JsonNode root, String key) {
        StringBuilder out = new StringBuilder();
        JsonNode node = root;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([^.\\[]+)|\\[(\\d+)]|\\.").matcher(key);
        while (m.find()) {
            if (m.group(1) != null) {
                node = node == null ? null : node.get(m.group(1));
                out.append(out.length() == 0 ? "" : ".").append(m.group(1));
            } else if (m.group(2) != null) {
                if (node != null && node.isArray()) {
                    node = node.get(Integer.parseInt(m.group(2)));
                    out.append('[').append(m.group(2)).append(']');
                }
            }
        }
        return out.toString();
    }

    /** The line of the YAML text where the key at the dotted path is written (list indices ignored). */
    static java.util.Optional<Integer> lineOf(String yaml, String dottedKey) {
        return lineOf(yaml, dottedKey, false);
    }

    /** As {@link #lineOf(String, String)}, but only where the key itself (not just its section) is written. */
    static java.util.Optional<Integer> exactLineOf(String yaml, String dottedKey) {
        return lineOf(yaml, dottedKey, true);
    }

    private static java.util.Optional<Integer> lineOf(String yaml, String dottedKey, boolean exactOnly) {
        String target = dottedKey.replaceAll("\\[\\d+]", "");
        if (target.isEmpty()) {
            return java.util.Optional.empty();
        }
        try (JsonParser p = MAPPER.getFactory().createParser(yaml)) {
            Deque<String> path = new ArrayDeque<>();
            Deque<Boolean> isObject = new ArrayDeque<>();
            String pendingField = null;
            Integer best = null;
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case FIELD_NAME -> {
                        pendingField = p.currentName();
                        String full = path.isEmpty() ? pendingField : String.join(".", path) + "." + pendingField;
                        if (full.equals(target)) {
                            return java.util.Optional.of(p.currentTokenLocation().getLineNr());
                        }
                        if (target.startsWith(full + ".")) {
                            best = p.currentTokenLocation().getLineNr();
                        }
                    }
                    case START_OBJECT, START_ARRAY -> {
                        // a section or list opened by a key extends the path; list items do not
                        if (pendingField != null) {
                            path.addLast(pendingField);
                            isObject.push(true);
                        } else {
                            isObject.push(false);
                        }
                        pendingField = null;
                    }
                    case END_OBJECT, END_ARRAY -> {
                        if (!isObject.isEmpty() && isObject.pop()) {
                            path.removeLast();
                        }
                    }
                    default -> pendingField = null;
                }
            }
            return exactOnly ? java.util.Optional.empty() : java.util.Optional.ofNullable(best);
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }
}
