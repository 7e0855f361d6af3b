package io.encoder4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.corpus.CorpusInput;
import io.encoder4j.datasets.prepare.DataPreparer;
import io.encoder4j.datasets.prepare.PrepareConfig;
import io.encoder4j.datasets.prepare.PrepareExecutor;
import io.encoder4j.datasets.prepare.PreparedCorpus;
import io.encoder4j.datasets.pretraining.TokenizerConfig;
import io.encoder4j.datasets.tokenizer.BpeTrainingSettings;
import io.encoder4j.datasets.tokenizer.ByteLevelBpeTrainer;
import io.encoder4j.datasets.tokenizer.TokenizerJsonWriter;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark local mode (2 task threads) against the single-process preparer on the same job: the same prepared directory,
 * shard for shard and byte for byte, and the same manifest. One Spark context for the class.
 */
class SparkPrepareExecutorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JavaSparkContext spark;

    @TempDir
    static Path dir;

    private static Path tokenizerJson;
    private static List<CorpusInput> inputs;

    /** {@code shared/data/<relative>} beside the repository. */
    private static Path shared(String relative) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("shared/data").resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no shared/data/" + relative);
    }

    @BeforeAll
    static void setUp() throws Exception {
        String gutenberg = Files.readString(shared("corpus/gutenberg13.txt"), StandardCharsets.UTF_8);
        tokenizerJson = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(ByteLevelBpeTrainer.train(Arrays.asList(gutenberg.substring(0, 100_000)
                .split("(?<=\n)")), BpeTrainingSettings.roberta(1000, 2)), tokenizerJson);

        // Small slices of real data in every kind of input: plain text (and gzipped), JSONL, header-less TSV, a
        // datasets save_to_disk directory of input_ids, a source without any document, and two identical files
        // (one token cache, made by whichever task gets there first).
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("a-inaugural.txt"),
                Files.readString(shared("corpus/inaugural.txt")).substring(0, 40_000));
        Files.writeString(corpus.resolve("a-inaugural-copy.txt"),
                Files.readString(shared("corpus/inaugural.txt")).substring(0, 40_000));
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(corpus.resolve("b-gutenberg.txt.gz")))) {
            out.write(gutenberg.substring(300_000, 330_000).getBytes(StandardCharsets.UTF_8));
        }
        Files.write(corpus.resolve("c-sotu.jsonl"), Files.readAllLines(shared("long/sotu.jsonl")).subList(0, 2));
        Files.writeString(corpus.resolve("d-empty.jsonl"), "{\"text\": \"\"}\n{\"text\": \"\"}\n");
        Path sst2 = Files.write(dir.resolve("sst2.tsv"),
                Files.readAllLines(shared("classification/sst2/train.tsv")).subList(0, 400));
        inputs = List.of(CorpusInput.of(corpus.toString()),
                new CorpusInput(sst2.toString(), null, null, List.of("label", "text"), null, null),
                CorpusInput.of(Path.of("../datasets/src/test/resources/hf-save-to-disk/dataset").toString()));

        spark = new JavaSparkContext(SparkPrepareProvider.localConf("local[2]"));
    }

    @AfterAll
    static void tearDown() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static PrepareConfig config(List<CorpusInput> in, String packing, int seq, float f, String cache) {
        return new PrepareConfig(in, new TokenizerConfig(tokenizerJson.toString(), null, null), packing, seq, f,
                false, false, dir.resolve(cache).toString(), 40);
    }

    @Test
    void sparkWritesTheSameShardsAndManifestAsOneProcess() throws Exception {
        for (PrepareConfig[] pair : List.of(
                new PrepareConfig[] {config(inputs, "group_texts", 64, 0.1f, "one"),
                        config(inputs, "group_texts", 64, 0.1f, "spark")},
                new PrepareConfig[] {config(inputs, "per_example", 48, 0.2f, "one"),
                        config(inputs, "per_example", 48, 0.2f, "spark")})) {
            PreparedCorpus one = DataPreparer.prepare(pair[0], "data");
            int jobsBefore = spark.statusTracker().getJobIdsForGroup(null).length;
            PreparedCorpus distributed = DataPreparer.prepare(pair[1], "data", new SparkPrepareExecutor(spark, false));
            assertTrue(spark.statusTracker().getJobIdsForGroup(null).length >= jobsBefore + 2, "ran on Spark");
            assertFalse(distributed.reused());
            assertEquals(one.directory().getFileName(), distributed.directory().getFileName(), "same fingerprint");

            for (String split : List.of("train", "validation")) {
                List<String> files = names(one.directory().resolve(split));
                assertTrue(files.size() >= 2, split + " has several shards: " + files);
                assertEquals(files, names(distributed.directory().resolve(split)), split);
                for (String f : files) {
                    assertArrayEquals(Files.readAllBytes(one.directory().resolve(split).resolve(f)),
                            Files.readAllBytes(distributed.directory().resolve(split).resolve(f)), split + "/" + f);
                }
            }
            JsonNode expected = manifest(one);
            assertEquals(expected, manifest(distributed));
            assertEquals(7, expected.get("sources").size());
            assertEquals(0, expected.get("sources").get(4).get("counts").get("documents").asInt(), "the empty input");
            assertEquals(expected.get("sources").get(0).get("token_cache"),
                    expected.get("sources").get(1).get("token_cache"), "identical files share a token cache");
            assertEquals(0, leftovers(pair[1].cacheDir()), "no temporary directory left");

            // The finished directory is never replaced: a second Spark run over the single-process cache reuses it.
            PreparedCorpus again = DataPreparer.prepare(pair[0], "data", new SparkPrepareExecutor(spark, false));
            assertTrue(again.reused());
            assertEquals(one.directory(), again.directory());
        }
    }

    @Test
    void aBadRowFailsWithTheSingleProcessMessageAndLeavesNothing() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": \"fine\"}\n{\"text\": broken}\n");
        List<CorpusInput> withBad = List.of(inputs.get(1), CorpusInput.of(bad.toString()), inputs.get(0));
        ConfigException expected = assertThrows(ConfigException.class,
                () -> DataPreparer.prepare(config(withBad, "group_texts", 64, 0.1f, "one"), "data"));
        List<String> before = names(Files.createDirectories(dir.resolve("spark")));
        ConfigException actual = assertThrows(ConfigException.class,
                () -> DataPreparer.prepare(config(withBad, "group_texts", 64, 0.1f, "spark"), "data",
                        new SparkPrepareExecutor(spark, false)));
        assertEquals(expected.getMessage(), actual.getMessage());
        assertTrue(actual.getMessage().startsWith(bad + ": line 2: malformed JSON"), actual.getMessage());
        List<String> after = names(dir.resolve("spark"));
        assertTrue(after.stream().noneMatch(n -> n.startsWith("prepared-") && !before.contains(n)), after.toString());
        assertEquals(0, leftovers(dir.resolve("spark").toString()));
    }

    @Test
    void aMalformedOrClusterMasterOrAMissingBackendIsOneLineNamingTheOption() {
        ConfigException malformed = assertThrows(ConfigException.class,
                () -> PrepareExecutor.open("spark", "local[two]", "--spark"));
        assertEquals("--spark: 'local[two]' is not a local Spark master URL (local, local[N], local[*]); a cluster "
                + "takes spark-submit (docs/data.md)", malformed.getMessage());
        ConfigException cluster = assertThrows(ConfigException.class,
                () -> PrepareExecutor.open("spark", "spark://head:7077", "--spark"));
        assertTrue(cluster.getMessage().startsWith("--spark spark://head:7077: a cluster master; submit the job jar "
                + "with spark-submit"), cluster.getMessage());
        ConfigException missing = assertThrows(ConfigException.class,
                () -> PrepareExecutor.open("flink", "local", "--flink"));
        assertTrue(missing.getMessage().startsWith("--flink: the flink module is not on the classpath"), missing.getMessage());
    }

    private static List<String> names(Path splitDir) throws Exception {
        try (Stream<Path> files = Files.list(splitDir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The manifest, less how long each token cache took to make (the only field that is not a function of input). */
    private static JsonNode manifest(PreparedCorpus p) throws Exception {
        JsonNode m = JSON.readTree(p.directory().resolve("manifest.json").toFile());
        for (JsonNode source : m.get("sources")) {
            ((ObjectNode) source.get("counts")).remove("seconds");
        }
        return m;
    }

    private static long leftovers(String cache) throws Exception {
        try (Stream<Path> files = Files.walk(Path.of(cache))) {
            return files.filter(p -> p.getFileName().toString().contains(".tmp-")
                    || p.getFileName().toString().startsWith(".part-")).count();
        }
    }
}
