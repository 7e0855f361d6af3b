package io.encoder4j.datasets.tasks.listops;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A seeded Java version of Long Range Arena's ListOps generator ({@code lra_benchmarks/data/listops.py},
 * {@code generate_tree}). A node at depth {@code d < maxDepth} draws {@code r} uniform in [0, 1): if {@code r > 0.25}
 * it is a digit leaf (so a leaf with probability 0.75, LRA's {@code VALUE_P = 0.25} being the operator probability),
 * else an operator MIN, MAX, MED or SM (sum modulo 10), chosen uniformly, with 2 to {@code maxArgs} arguments (uniform,
 * inclusive) generated at depth {@code d + 1}; at {@code maxDepth} a node is always a leaf. Trees are drawn from the
 * root (depth 1) until their token count (operators, digits and {@code ]}) lies strictly between {@code minLength} and
 * {@code maxLength}; duplicates are dropped, as LRA keeps a set. MED is {@code int(np.median(...))}: the mean of the two
 * middle values, rounded down, for an even count.
 *
 * <p>The random streams differ from Python's, so the examples are not LRA's files, but they follow the same
 * distribution and are written in the same TSV format.
 */
public final class ListOpsGenerator {

    /** LRA's operator tokens, in its order. */
    public static final List<String> OPERATORS = List.of("[MIN", "[MAX", "[MED", "[SM");
    public static final String END = "]";
    private static final double VALUE_P = 0.25;

    private final ListOpsSettings settings;
    private final SplittableRandom rng;
    private final Set<String> seen = new HashSet<>();

    public ListOpsGenerator(ListOpsSettings settings, long seed) {
        this.settings = settings;
        this.rng = new SplittableRandom(seed);
    }

    /** An expression tree: a digit leaf ({@code op < 0}) or an operator with its arguments. */
    private record Node(int op, int value, Node[] args, int length) {}

    /** The next accepted example not produced before by this generator. */
    public ListOpsExample next() {
        while (true) {
            Node tree = generate(1);
            if (tree.length > settings.minLength() && tree.length < settings.maxLength()) {
                StringBuilder sb = new StringBuilder(tree.length * 5);
                write(tree, sb);
                String source = sb.toString();
                if (seen.add(source)) {
                    return new ListOpsExample(source, value(tree), tree.length);
                }
            }
        }
    }

    /** The next {@code count} examples. */
    public List<ListOpsExample> next(int count) {
        List<ListOpsExample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(next());
        }
        return out;
    }

    private Node generate(int depth) {
        double r = depth < settings.maxDepth() ? rng.nextDouble() : 1;
        if (r > VALUE_P) {
            return new Node(-1, rng.nextInt(10), null, 1);
        }
        int n = 2 + rng.nextInt(settings.maxArgs() - 1);
        Node[] args = new Node[n];
        int length = 2;
        for (int i = 0; i < n; i++) {
            args[i] = generate(depth + 1);
            length += args[i].length;
        }
        // LRA draws the operator after its arguments.
        int op = rng.nextInt(OPERATORS.size());
        return new Node(op, 0, args, length);
    }

    /**
     * LRA's {@code to_string} of its nested pairs {@code ((((op, a0), a1), ...), END)}: each pair is written
     * {@code ( left right )}.
     */
    private static void write(Node node, StringBuilder sb) {
        if (node.op < 0) {
            sb.append(node.value);
            return;
        }
        sb.append("( ".repeat(node.args.length + 1)).append(OPERATORS.get(node.op)).append(' ');
        write(node.args[0], sb);
        sb.append(" )");
        for (int i = 1; i < node.args.length; i++) {
            sb.append(' ');
            write(node.args[i], sb);
            sb.append(" )");
        }
        sb.append(" ] )");
    }

    private static int value(Node node) {
        if (node.op < 0) {
            return node.value;
        }
        int[] v = new int[node.args.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = value(node.args[i]);
        }
        return apply(OPERATORS.get(node.op), v);
    }

    /** The value of operator {@code op} on {@code args}. */
    static int apply(String op, int[] args) {
        int[] sorted = args.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return switch (op) {
            case "[MIN" -> sorted[0];
            case "[MAX" -> sorted[n - 1];
            case "[MED" -> n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            case "[SM" -> java.util.Arrays.stream(args).sum() % 10;
            default -> throw new IllegalArgumentException("unknown operator " + op);
        };
    }

    /**
     * Writes {@code examples} as LRA does ({@code Source<TAB>Target} header, one example per line) to {@code file},
     * through a temporary file renamed into place.
     */
    public static void writeTsv(List<ListOpsExample> examples, Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write("Source\tTarget\n");
                for (ListOpsExample e : examples) {
                    w.write(e.source());
                    w.write('\t');
                    w.write(Integer.toString(e.target()));
                    w.write('\n');
                }
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
