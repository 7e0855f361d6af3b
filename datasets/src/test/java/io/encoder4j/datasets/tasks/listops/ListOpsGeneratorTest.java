package io.encoder4j.datasets.tasks.listops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.encoder4j.core.config.ConfigException;
import io.encoder4j.datasets.input.BadRows;
import io.encoder4j.datasets.tasks.ClassificationBatch;
import io.encoder4j.datasets.tasks.ClassificationDataset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListOpsGeneratorTest {

    @TempDir
    Path dir;

    /** What the reference evaluator finds in an expression. */
    private record Checked(int value, int tokens, int maxDepth, int minArgs, int maxArgs) {}

    /**
     * An evaluator written independently of the generator: a stack machine over the raw text. Each operator opens a
     * frame, digits are pushed into the innermost frame, {@code ]} closes it; the parentheses are checked to balance
     * and to wrap exactly the nested pairs LRA writes.
     */
    private static Checked evaluate(String source) {
        Deque<String> ops = new ArrayDeque<>();
        Deque<List<Integer>> frames = new ArrayDeque<>();
        List<Integer> top = new ArrayList<>();
        int tokens = 0;
        int depth = 0;
        int maxDepth = 0;
        int minArgs = Integer.MAX_VALUE;
        int maxArgs = 0;
        int open = 0;
        for (String tok : source.split(" ")) {
            switch (tok) {
                case "(" -> open++;
                case ")" -> {
                    open--;
                    assertTrue(open >= 0, "unbalanced parentheses");
                }
                case "[MIN", "[MAX", "[MED", "[SM" -> {
                    tokens++;
                    ops.push(tok);
                    frames.push(top);
                    top = new ArrayList<>();
                    maxDepth = Math.max(maxDepth, ++depth);
                }
                case "]" -> {
                    tokens++;
                    String op = ops.pop();
                    List<Integer> args = top;
                    minArgs = Math.min(minArgs, args.size());
                    maxArgs = Math.max(maxArgs, args.size());
                    int v;
                    if (op.equals("[MIN")) {
                        v = 9;
                        for (int a : args) {
                            v = a < v ? a : v;
                        }
                    } else if (op.equals("[MAX")) {
                        v = 0;
                        for (int a : args) {
                            v = a > v ? a : v;
                        }
                    } else if (op.equals("[SM")) {
                        v = 0;
                        for (int a : args) {
                            v = (v + a) % 10;
                        }
                    } else {
                        // Median by counting, as numpy: the mean of the middle pair for an even count, then int().
                        int[] count = new int[10];
                        args.forEach(a -> count[a]++);
                        double lo = -1;
                        double hi = -1;
                        int seen = 0;
                        for (int d = 0; d < 10; d++) {
                            for (int c = 0; c < count[d]; c++) {
                                if (seen == (args.size() - 1) / 2) {
                                    lo = d;
                                }
                                if (seen == args.size() / 2) {
                                    hi = d;
                                }
                                seen++;
                            }
                        }
                        v = (int) ((lo + hi) / 2.0);
                    }
                    depth--;
                    top = frames.pop();
                    top.add(v);
                }
                default -> {
                    tokens++;
                    assertTrue(tok.matches("[0-9]"), tok);
                    top.add(Integer.parseInt(tok));
                }
            }
        }
        assertEquals(0, open);
        assertEquals(1, top.size());
        // LRA's to_string wraps every (left, right) pair: one "(" per operator argument, plus one per operator for
        // its END pair.
        long parens = source.chars().filter(c -> c == '(').count();
        assertEquals(parens, source.chars().filter(c -> c == ')').count());
        return new Checked(top.get(0), tokens, maxDepth, minArgs, maxArgs);
    }

    @Test
    void labelsAgreeWithAnIndependentEvaluatorAndLengthsFollowLra() {
        ListOpsGenerator generator = new ListOpsGenerator(ListOpsSettings.lra(), 2021);
        List<ListOpsExample> examples = generator.next(60);
        Set<Integer> labels = new HashSet<>();
        Set<String> sources = new HashSet<>();
        for (ListOpsExample e : examples) {
            Checked c = evaluate(e.source());
            assertEquals(c.value(), e.target(), e.source());
            assertEquals(c.tokens(), e.length());
            assertTrue(e.length() > 500 && e.length() < 2000, "length " + e.length());
            // The root is at depth 1 and operators appear up to depth 9: a node at depth 10 is always a digit.
            assertTrue(c.maxDepth() <= 9, "depth " + c.maxDepth());
            assertTrue(c.minArgs() >= 2 && c.maxArgs() <= 10, c.minArgs() + ".." + c.maxArgs());
            assertEquals(e.length(), ListOpsVocabulary.encode(e.source()).length);
            labels.add(e.target());
            sources.add(e.source());
        }
        assertEquals(60, sources.size(), "no duplicates");
        assertTrue(labels.size() >= 5, "labels " + labels);
        // Seeded: the same seed gives the same examples, another seed others.
        assertEquals(examples.get(7), new ListOpsGenerator(ListOpsSettings.lra(), 2021).next(8).get(7));
        assertNotEquals(examples.get(0), new ListOpsGenerator(ListOpsSettings.lra(), 2022).next());
    }

    @Test
    void smallExpressionsAreWrittenAsLraWritesThem() {
        // Settings that accept short trees, to compare with LRA's to_string by hand.
        ListOpsGenerator generator = new ListOpsGenerator(new ListOpsSettings(3, 3, 3, 9), 5);
        for (ListOpsExample e : generator.next(30)) {
            Checked c = evaluate(e.source());
            assertEquals(c.value(), e.target(), e.source());
            assertTrue(e.source().startsWith("( ( "), e.source());
        }
        assertEquals(2, ListOpsGenerator.apply("[MED", new int[] {1, 4}));
        assertEquals(4, ListOpsGenerator.apply("[MED", new int[] {9, 4, 1}));
        assertEquals(3, ListOpsGenerator.apply("[SM", new int[] {9, 4}));
    }

    @Test
    void tsvRoundTripsThroughTheLoaderWithTheUsualTokenisation() throws Exception {
        List<ListOpsExample> examples = new ListOpsGenerator(ListOpsSettings.lra(), 1).next(20);
        Path tsv = dir.resolve("basic_train.tsv");
        ListOpsGenerator.writeTsv(examples, tsv);
        List<String> lines = Files.readAllLines(tsv);
        assertEquals("Source\tTarget", lines.get(0));
        assertEquals(examples.get(0).source() + "\t" + examples.get(0).target(), lines.get(1));

        ClassificationDataset ds = ListOpsDataset.load(tsv, 2000, BadRows.strict());
        assertEquals(20, ds.size());
        for (int i = 0; i < 20; i++) {
            int[] ids = ds.inputIds(i);
            assertEquals(examples.get(i).length() + 2, ids.length);
            assertEquals(ListOpsVocabulary.BOS, ids[0]);
            assertEquals(ListOpsVocabulary.EOS, ids[ids.length - 1]);
            assertEquals(examples.get(i).target(), ds.label(i));
            for (int t = 1; t < ids.length - 1; t++) {
                assertTrue(ids[t] >= 5 && ids[t] < ListOpsVocabulary.size());
            }
        }
        ClassificationBatch batch = ds.batch(new long[] {0, 1, 2});
        assertEquals(3, batch.batchSize());

        Path bad = Files.writeString(dir.resolve("bad.tsv"), "Source\tTarget\n( ( [MAX 2 ) 3 ] )\t3\n( [FOO 1 ] )\t1\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ListOpsDataset.load(bad, 100, BadRows.strict()));
        assertTrue(e.getMessage().startsWith(bad + ": line 3: '[FOO' is not a ListOps token"), e.getMessage());
    }
}
