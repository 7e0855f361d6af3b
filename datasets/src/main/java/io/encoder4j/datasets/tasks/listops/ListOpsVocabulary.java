package io.encoder4j.datasets.tasks.listops;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ListOps tokens and ids: the RoBERTa specials first, at the ids the rest of the project uses ({@code <s>} 0,
 * {@code <pad>} 1, {@code </s>} 2, {@code <unk>} 3, {@code <mask>} 4), then the digits 0-9 (ids 5-14), the operators
 * {@code [MIN [MAX [MED [SM} (15-18) and {@code ]} (19): 20 ids. The usual tokenisation (LRA's input pipeline) splits
 * on whitespace and drops the parentheses, which carry no information beyond the brackets.
 */
public final class ListOpsVocabulary {

    public static final int BOS = 0;
    public static final int PAD = 1;
    public static final int EOS = 2;
    public static final int UNK = 3;
    public static final int MASK = 4;

    private static final List<String> TOKENS;
    private static final Map<String, Integer> IDS = new HashMap<>();

    static {
        List<String> tokens = new ArrayList<>(List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>"));
        for (int d = 0; d < 10; d++) {
            tokens.add(Integer.toString(d));
        }
        tokens.addAll(ListOpsGenerator.OPERATORS);
        tokens.add(ListOpsGenerator.END);
        TOKENS = Collections.unmodifiableList(tokens);
        for (int i = 0; i < TOKENS.size(); i++) {
            IDS.put(TOKENS.get(i), i);
        }
    }

    private ListOpsVocabulary() {}

    public static int size() {
        return TOKENS.size();
    }

    /** Tokens by id. */
    public static List<String> tokens() {
        return TOKENS;
    }

    /** The id of {@code token}, or -1 if it is not a ListOps token. */
    public static int id(String token) {
        Integer id = IDS.get(token);
        return id == null ? -1 : id;
    }

    /**
     * The ids of {@code source} without parentheses (not framed).
     *
     * @throws IllegalArgumentException naming the first token that is not in the vocabulary
     */
    public static int[] encode(String source) {
        String[] parts = source.trim().split("\\s+");
        int[] ids = new int[parts.length];
        int n = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.equals("(") || p.equals(")")) {
                continue;
            }
            int id = id(p);
            if (id < 0) {
                throw new IllegalArgumentException("'" + p + "' is not a ListOps token");
            }
            ids[n++] = id;
        }
        return java.util.Arrays.copyOf(ids, n);
    }
}
